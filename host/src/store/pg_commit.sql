-- The commit of one action, and of a batch of them, on Postgres. This file
-- is the only definition: the host applies it at every start-up (under an
-- advisory lock, so replicas starting together do not race), replacing
-- whatever an earlier version defined. SQLite has no stored procedures;
-- host/src/store/sql/commit.rs applies the same steps statement by statement,
-- and the shared store suite holds both to the same behaviour.
--
-- arcade_commit(c) applies one ActionCommit given as JSON (built by
-- postgres.rs), in this order: the idempotency key (AR002 if taken);
-- stock as conditional updates; balances; state compare-and-set and read
-- checks; the fired timer; timer changes; rewards; events (behind the
-- per-tenant event lock); the outcome. Any condition that no longer holds
-- raises SQLSTATE AR001, which the host treats as a lost race.
--
-- arcade_commit_batch(cs) and arcade_commit_chain(cs) commit many at once
-- (see arcade_commit_run below) and answer one element per input, in
-- order: NULL for committed, else the SQLSTATE and message. A commit
-- waiting on a row lock gives up after lock_timeout (55P03, also a lost
-- race) rather than holding the whole batch.

CREATE OR REPLACE FUNCTION arcade_commit(c jsonb) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    o jsonb := c -> 'outcome';
    act text := c -> 'outcome' ->> 'activity_id';
    tenant text := c -> 'outcome' ->> 'tenant_id';
    at bigint := (c -> 'outcome' ->> 'created_at')::bigint;
    x jsonb;
    i int;
    v bigint;
    rid bigint;
    k jsonb := c -> 'idempotency';
BEGIN
    -- The key first: a request already committed under it makes this
    -- commit a repeat, whatever else holds. A concurrent insert of the
    -- same key waits here for the other transaction to end.
    IF k IS NOT NULL AND jsonb_typeof(k) = 'object' THEN
        INSERT INTO idempotency (tenant_id, key, request_hash, response, created_at)
        VALUES (tenant, k ->> 'key', k ->> 'request_hash', k ->> 'response', at)
        ON CONFLICT DO NOTHING;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'idempotency key taken' USING ERRCODE = 'AR002';
        END IF;
    END IF;

    FOR i IN 0 .. coalesce(jsonb_array_length(c -> 'stock'), 0) - 1 LOOP
        x := c -> 'stock' -> i;
        UPDATE stock SET remaining = remaining + (x ->> 1)::bigint
         WHERE activity_id = act AND pool = x ->> 0
           AND remaining + (x ->> 1)::bigint >= 0
           AND remaining + (x ->> 1)::bigint <= initial;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'stock % changed', x ->> 0 USING ERRCODE = 'AR001';
        END IF;
    END LOOP;

    FOR i IN 0 .. coalesce(jsonb_array_length(c -> 'balances'), 0) - 1 LOOP
        x := c -> 'balances' -> i;
        IF (x ->> 2)::bigint > 0 THEN
            INSERT INTO balances (tenant_id, user_id, currency, balance)
            VALUES (tenant, x ->> 0, x ->> 1, (x ->> 2)::bigint)
            ON CONFLICT (tenant_id, user_id, currency)
            DO UPDATE SET balance = balances.balance + excluded.balance;
        ELSIF (x ->> 2)::bigint < 0 THEN
            UPDATE balances SET balance = balance + (x ->> 2)::bigint
             WHERE tenant_id = tenant AND user_id = x ->> 0 AND currency = x ->> 1
               AND balance + (x ->> 2)::bigint >= 0;
            IF NOT FOUND THEN
                RAISE EXCEPTION 'balance % too low', x ->> 1 USING ERRCODE = 'AR001';
            END IF;
        END IF;
    END LOOP;

    FOR i IN 0 .. coalesce(jsonb_array_length(c -> 'state'), 0) - 1 LOOP
        x := c -> 'state' -> i;
        IF (x ->> 'write')::boolean THEN
            IF x ->> 'version' IS NULL THEN
                INSERT INTO state (activity_id, user_id, key, value, version)
                VALUES (act, x ->> 'user_id', x ->> 'key', x ->> 'value',
                        coalesce((x ->> 'advance')::bigint, 1))
                ON CONFLICT DO NOTHING;
            ELSE
                UPDATE state SET value = x ->> 'value',
                                 version = version + coalesce((x ->> 'advance')::bigint, 1)
                 WHERE activity_id = act AND user_id = x ->> 'user_id' AND key = x ->> 'key'
                   AND version = (x ->> 'version')::bigint;
            END IF;
            IF NOT FOUND THEN
                RAISE EXCEPTION 'state % changed', x ->> 'key' USING ERRCODE = 'AR001';
            END IF;
        ELSE
            v := NULL;
            SELECT version INTO v FROM state
             WHERE activity_id = act AND user_id = x ->> 'user_id' AND key = x ->> 'key'
             FOR SHARE;
            IF v IS DISTINCT FROM (x ->> 'version')::bigint THEN
                RAISE EXCEPTION 'state % changed', x ->> 'key' USING ERRCODE = 'AR001';
            END IF;
        END IF;
    END LOOP;

    IF c ->> 'fired_timer' IS NOT NULL THEN
        UPDATE timers SET state = 'fired', fired_at = at
         WHERE id = c ->> 'fired_timer' AND activity_id = act AND state = 'pending';
        IF NOT FOUND THEN
            RAISE EXCEPTION 'timer already fired' USING ERRCODE = 'AR001';
        END IF;
    END IF;

    FOR i IN 0 .. coalesce(jsonb_array_length(c -> 'timers'), 0) - 1 LOOP
        x := c -> 'timers' -> i;
        UPDATE timers SET state = 'cancelled'
         WHERE activity_id = act AND name = x ->> 'name' AND state = 'pending';
        IF x ->> 'id' IS NOT NULL THEN
            BEGIN
                INSERT INTO timers (id, tenant_id, activity_id, name, payload, due_at,
                                    state, leased_until, fired_at, created_at)
                VALUES (x ->> 'id', tenant, act, x ->> 'name', x ->> 'payload',
                        (x ->> 'due_at')::bigint, 'pending', NULL, NULL, at);
            EXCEPTION WHEN unique_violation THEN
                RAISE EXCEPTION 'timer % scheduled concurrently', x ->> 'name'
                    USING ERRCODE = 'AR001';
            END;
        END IF;
    END LOOP;

    FOR i IN 0 .. coalesce(jsonb_array_length(c -> 'rewards'), 0) - 1 LOOP
        x := c -> 'rewards' -> i;
        INSERT INTO rewards (tenant_id, activity_id, outcome_id, user_id, kind, item, name,
                             amount, expires_at, code, created_at)
        VALUES (tenant, act, o ->> 'id', x ->> 'user_id', x ->> 'kind', x ->> 'item',
                x ->> 'name', (x ->> 'amount')::bigint, (x ->> 'expires_at')::bigint,
                x ->> 'code', at)
        RETURNING id INTO rid;
        IF x ->> 'kind' = 'prize' THEN
            INSERT INTO reward_states (reward_id, tenant_id, state, updated_at)
            VALUES (rid, tenant, 'pending', at);
        END IF;
    END LOOP;

    IF jsonb_array_length(c -> 'events') > 0 THEN
        -- Per-tenant serialization of event appends; see postgres.rs.
        PERFORM pg_advisory_xact_lock(hashtextextended(tenant, 0));
        FOR i IN 0 .. coalesce(jsonb_array_length(c -> 'events'), 0) - 1 LOOP
            x := c -> 'events' -> i;
            INSERT INTO events (tenant_id, activity_id, outcome_id, kind, subject, data, created_at)
            VALUES (tenant, act, o ->> 'id', x ->> 'kind', x ->> 'subject', x ->> 'data', at);
        END LOOP;
    END IF;

    INSERT INTO outcomes (id, tenant_id, activity_id, user_id, action, payload, result, rewards,
                          inputs, effects_hash, plugin_sha256, fuel_used, created_at, group_id,
                          spends)
    VALUES (o ->> 'id', tenant, act, o ->> 'user_id', o ->> 'action', o ->> 'payload',
            o ->> 'result', o ->> 'rewards', o ->> 'inputs', o ->> 'effects_hash',
            o ->> 'plugin_sha256', (o ->> 'fuel_used')::bigint, at, o ->> 'group_id',
            COALESCE(o ->> 'spends', ''));
    -- The statistics' outbox (host/src/store/sql/stats.rs).
    INSERT INTO stat_queue (outcome_id, events, invites)
    VALUES (o ->> 'id', COALESCE((SELECT string_agg(ev ->> 'kind', ',')
                                  FROM jsonb_array_elements(c -> 'events') ev), ''),
            COALESCE(c ->> 'stat_invites', ''));

END;
$$;

-- arcade_commit_run(cs, first, stop_at_failure) commits elements of cs from
-- index `first` on and answers one text per element (1-based array of
-- jsonb_array_length(cs)): NULL for committed, else SQLSTATE and message;
-- elements not run stay NULL in `answers` and are reported by the caller.
-- A commit that fails must be rolled back alone, but a subtransaction per
-- element is expensive (and past 64 of them every other session's
-- snapshots slow down), so the elements run together in one: if one
-- fails, the block is rolled back, the elements before it (which had
-- applied cleanly) are applied again in one block, and the run goes on
-- after the failed one. Each element runs at most twice.
CREATE OR REPLACE FUNCTION arcade_commit_run(cs jsonb, stop_at_failure boolean)
RETURNS text[]
LANGUAGE plpgsql AS $$
DECLARE
    n int := jsonb_array_length(cs);
    answers text[] := array_fill(NULL::text, ARRAY[n]);
    first int := 0;
    cur int;
    i int;
    failure text;
BEGIN
    PERFORM set_config('lock_timeout', '2s', true);
    WHILE first < n LOOP
        cur := first;
        failure := NULL;
        BEGIN
            WHILE cur < n LOOP
                PERFORM arcade_commit(cs -> cur);
                cur := cur + 1;
            END LOOP;
        EXCEPTION WHEN OTHERS THEN
            failure := SQLSTATE || ' ' || SQLERRM;
        END;
        IF failure IS NULL THEN
            RETURN answers;
        END IF;
        -- Elements first .. cur-1 applied cleanly and were rolled back
        -- with the failed one: apply them again, together if they still
        -- apply, else one by one.
        IF cur > first THEN
            BEGIN
                FOR i IN first .. cur - 1 LOOP
                    PERFORM arcade_commit(cs -> i);
                END LOOP;
            EXCEPTION WHEN OTHERS THEN
                FOR i IN first .. cur - 1 LOOP
                    BEGIN
                        PERFORM arcade_commit(cs -> i);
                    EXCEPTION WHEN OTHERS THEN
                        answers[i + 1] := SQLSTATE || ' ' || SQLERRM;
                        IF stop_at_failure THEN
                            FOR j IN i + 2 .. n LOOP
                                answers[j] := 'AR001 chain broken';
                            END LOOP;
                            RETURN answers;
                        END IF;
                    END;
                END LOOP;
            END;
        END IF;
        answers[cur + 1] := failure;
        IF stop_at_failure THEN
            FOR i IN cur + 2 .. n LOOP
                answers[i] := 'AR001 chain broken';
            END LOOP;
            RETURN answers;
        END IF;
        first := cur + 1;
    END LOOP;
    RETURN answers;
END;
$$;

-- arcade_commit_batch(cs): independent commits (group commit); each one
-- that fails is rolled back alone and the others stand.
CREATE OR REPLACE FUNCTION arcade_commit_batch(cs jsonb) RETURNS text[]
LANGUAGE sql AS $$ SELECT arcade_commit_run(cs, false) $$;

-- arcade_commit_chain(cs) commits a chain: actions that ran one after
-- another, each over the writes of the ones before it. It stops at the
-- first commit that fails, because the later ones rest on its writes (and
-- a version check alone could pass by coincidence if another writer
-- moved a row the same number of versions). Inputs after the first
-- failure answer 'AR001 chain broken' and are not run.
CREATE OR REPLACE FUNCTION arcade_commit_chain(cs jsonb) RETURNS text[]
LANGUAGE sql AS $$ SELECT arcade_commit_run(cs, true) $$;

-- arcade_commit_all(cs) applies every element or none: the first failure
-- fails the call. The host uses it for a folded chain (store/squash.rs)
-- and falls back to arcade_commit_chain if it fails.
CREATE OR REPLACE FUNCTION arcade_commit_all(cs jsonb) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    i int;
BEGIN
    PERFORM set_config('lock_timeout', '2s', true);
    FOR i IN 0 .. jsonb_array_length(cs) - 1 LOOP
        PERFORM arcade_commit(cs -> i);
    END LOOP;
END;
$$;
