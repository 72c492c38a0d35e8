-- Group commit: several actions' commits in one statement and one
-- transaction. Each runs arcade_commit in its own subtransaction, so one
-- that fails is rolled back alone and the others still commit. The
-- answer has one element per input, in order: NULL for committed, else
-- the SQLSTATE and message of the failure.
--
-- A commit waiting on a row lock held elsewhere gives up after the
-- lock_timeout set here (SQLSTATE 55P03, retried by the host as a
-- conflict) rather than holding the whole batch; a batch's subtransactions
-- stay under the 64 that Postgres caches per backend (the host sends at
-- most 32).

CREATE FUNCTION arcade_commit_batch(cs jsonb) RETURNS text[]
LANGUAGE plpgsql AS $$
DECLARE
    c jsonb;
    answers text[] := '{}';
BEGIN
    PERFORM set_config('lock_timeout', '2s', true);
    FOR c IN SELECT * FROM jsonb_array_elements(cs) LOOP
        BEGIN
            PERFORM arcade_commit(c);
            answers := answers || NULL::text;
        EXCEPTION WHEN OTHERS THEN
            answers := answers || (SQLSTATE || ' ' || SQLERRM);
        END;
    END LOOP;
    RETURN answers;
END;
$$;
