-- One action's commit in one round trip: arcade_commit applies, in one
-- statement (so atomically), exactly what the generic commit in
-- host/src/store/sql.rs applies statement by statement, in the same lock
-- order: stock, balances, state, the fired timer, timer changes, rewards,
-- events, the outcome, the idempotency response. A failed condition
-- raises SQLSTATE AR001 (the store's Conflict) and nothing is applied.
-- The input is built by host/src/store/postgres.rs; steps arrive sorted.

CREATE FUNCTION arcade_commit(c jsonb) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    o jsonb := c -> 'outcome';
    act text := c -> 'outcome' ->> 'activity_id';
    tenant text := c -> 'outcome' ->> 'tenant_id';
    at bigint := (c -> 'outcome' ->> 'created_at')::bigint;
    x jsonb;
    v bigint;
    rid bigint;
BEGIN
    FOR x IN SELECT * FROM jsonb_array_elements(c -> 'stock') LOOP
        UPDATE stock SET remaining = remaining + (x ->> 1)::bigint
         WHERE activity_id = act AND pool = x ->> 0
           AND remaining + (x ->> 1)::bigint >= 0
           AND remaining + (x ->> 1)::bigint <= initial;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'stock % changed', x ->> 0 USING ERRCODE = 'AR001';
        END IF;
    END LOOP;

    FOR x IN SELECT * FROM jsonb_array_elements(c -> 'balances') LOOP
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

    FOR x IN SELECT * FROM jsonb_array_elements(c -> 'state') LOOP
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

    FOR x IN SELECT * FROM jsonb_array_elements(c -> 'timers') LOOP
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

    FOR x IN SELECT * FROM jsonb_array_elements(c -> 'rewards') LOOP
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
        FOR x IN SELECT * FROM jsonb_array_elements(c -> 'events') LOOP
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
