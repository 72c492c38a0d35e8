-- arcade_commit again, unchanged in meaning: its loops walk each array by
-- index instead of `FOR x IN SELECT * FROM jsonb_array_elements(...)`,
-- which opened a cursor per loop (six per commit, most over empty
-- arrays). An index loop is evaluated in place, and an empty array costs
-- nothing. arcade_commit_batch walks its input the same way.

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
BEGIN
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
                VALUES (act, x ->> 'user_id', x ->> 'key', x ->> 'value', 1)
                ON CONFLICT DO NOTHING;
            ELSE
                UPDATE state SET value = x ->> 'value', version = version + 1
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
                          inputs, effects_hash, plugin_sha256, fuel_used, created_at)
    VALUES (o ->> 'id', tenant, act, o ->> 'user_id', o ->> 'action', o ->> 'payload',
            o ->> 'result', o ->> 'rewards', o ->> 'inputs', o ->> 'effects_hash',
            o ->> 'plugin_sha256', (o ->> 'fuel_used')::bigint, at);

    IF c -> 'idempotency' IS NOT NULL AND jsonb_typeof(c -> 'idempotency') <> 'null' THEN
        UPDATE idempotency SET response = c -> 'idempotency' ->> 1
         WHERE tenant_id = tenant AND key = c -> 'idempotency' ->> 0 AND response IS NULL;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'idempotency key settled' USING ERRCODE = 'AR001';
        END IF;
    END IF;
END;
$$;

CREATE OR REPLACE FUNCTION arcade_commit_batch(cs jsonb) RETURNS text[]
LANGUAGE plpgsql AS $$
DECLARE
    i int;
    answers text[] := '{}';
BEGIN
    PERFORM set_config('lock_timeout', '2s', true);
    FOR i IN 0 .. jsonb_array_length(cs) - 1 LOOP
        BEGIN
            PERFORM arcade_commit(cs -> i);
            answers := answers || NULL::text;
        EXCEPTION WHEN OTHERS THEN
            answers := answers || (SQLSTATE || ' ' || SQLERRM);
        END;
    END LOOP;
    RETURN answers;
END;
$$;
