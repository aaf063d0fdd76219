-- Every status change of a voucher or of its return, one row each, written by a trigger in the same
-- transaction as the change: who (actor), when (at), why (reason). The code that changes a status names
-- actor and reason in transaction-local settings (VoucherTransitions.SetContextAsync); unset, the actor is
-- 'system' and the reason the stage that makes that move. The dashboard's voucher history reads this table.
create table voucher_events (
    id           bigserial primary key,
    voucher_id   bigint not null,
    subject      text not null check (subject in ('voucher', 'return')),
    at           timestamptz not null,
    from_status  text,                  -- null: the row was created in to_status
    to_status    text not null,
    actor        text not null,
    reason       text not null,
    -- the writing transaction: a test proves an event commits (or rolls back) with its change
    xact_id      xid8 not null default pg_current_xact_id()
);
create index voucher_events_voucher on voucher_events (voucher_id, id);

create function voucher_events_is_append_only() returns trigger language plpgsql as $$
begin
    raise exception 'voucher_events is append-only';
end $$;
create trigger voucher_events_no_change before update or delete on voucher_events
    for each row execute function voucher_events_is_append_only();

-- The moves VoucherStatus.Machine and ReturnStatus.Machine allow (a test compares the two for every pair).
create function voucher_status_can_move(subject text, from_status text, to_status text) returns boolean
language sql immutable as $$
    select exists (
        select 1 from (values
            ('voucher', null, 'RECEIVED'),
            ('voucher', 'RECEIVED', 'POSTING'),
            ('voucher', 'RECEIVED', 'HELD'),
            ('voucher', 'POSTING', 'COMPLETED'),
            ('voucher', 'POSTING', 'HELD'),
            ('voucher', 'HELD', 'RECEIVED'),
            ('return', null, 'SCHEDULED'),
            ('return', 'SCHEDULED', 'EXECUTED')
        ) m (s, f, t)
        where m.s = subject and m.f is not distinct from from_status and m.t = to_status)
$$;

-- Refuses a move the types forbid, unless the transaction names a reason in bankgateway.override (a
-- data repair by hand, or a test arranging a state): the event then says so.
create function voucher_event_write(p_voucher_id bigint, p_subject text, p_from text, p_to text, p_at timestamptz,
                                    p_actor text, p_reason text) returns void language plpgsql as $$
declare
    v_override text := nullif(current_setting('bankgateway.override', true), '');
    v_reason   text := coalesce(nullif(current_setting('bankgateway.reason', true), ''), p_reason);
begin
    if not voucher_status_can_move(p_subject, p_from, p_to) then
        if v_override is null then
            raise exception 'a % cannot move from % to %', p_subject, coalesce(p_from, '(new)'), p_to
                using errcode = 'check_violation';
        end if;
        v_reason := 'override: ' || v_override;
    end if;
    insert into voucher_events (voucher_id, subject, at, from_status, to_status, actor, reason)
    values (p_voucher_id, p_subject, coalesce(p_at, now()), p_from, p_to,
            coalesce(nullif(current_setting('bankgateway.actor', true), ''), p_actor, 'system'), v_reason);
end $$;

-- Times: the row's own timestamp where the move sets one (written by the gateway's clock), else now().
create function vouchers_record_event() returns trigger language plpgsql as $$
begin
    if tg_op = 'INSERT' then
        perform voucher_event_write(new.id, 'voucher', null, new.status, new.received_at, null, 'intake');
    else
        perform voucher_event_write(new.id, 'voucher', old.status, new.status,
            case when new.status = 'COMPLETED' then new.completed_at end, null,
            case new.status when 'HELD' then coalesce(new.hold_reason, 'hold') when 'RECEIVED' then 'release' else 'posting' end);
    end if;
    return null;
end $$;
create trigger vouchers_event_on_insert after insert on vouchers
    for each row execute function vouchers_record_event();
create trigger vouchers_event_on_status after update of status on vouchers
    for each row when (old.status is distinct from new.status) execute function vouchers_record_event();

create function returns_record_event() returns trigger language plpgsql as $$
begin
    if tg_op = 'INSERT' then
        perform voucher_event_write(new.voucher_id, 'return', null, new.status,
            (select v.completed_at from vouchers v where v.id = new.voucher_id), null, 'posting: failed lines');
    else
        perform voucher_event_write(new.voucher_id, 'return', old.status, new.status, new.executed_at, new.executed_by, 'returns');
    end if;
    return null;
end $$;
create trigger returns_event_on_insert after insert on returns
    for each row execute function returns_record_event();
create trigger returns_event_on_status after update of status on returns
    for each row when (old.status is distinct from new.status) execute function returns_record_event();

-- Backfill: the history of vouchers taken before this migration, from what the dashboard showed then
-- (receipt, first chunk, completion, audited holds and releases, quarantine, the return).
insert into voucher_events (voucher_id, subject, at, from_status, to_status, actor, reason)
select voucher_id, subject, at, lag(to_status) over (partition by voucher_id, subject order by at, ord), to_status, actor, reason
from (
    select id as voucher_id, 'voucher' as subject, received_at as at, 1 as ord, 'RECEIVED' as to_status,
           'system' as actor, 'intake' as reason
    from vouchers
    union all
    select v.id, 'voucher', coalesce((select min(c.committed_at) from posting_chunks c where c.voucher_id = v.id), v.received_at),
           2, 'POSTING', 'system', 'posting'
    from vouchers v where v.status in ('POSTING', 'COMPLETED')
    union all
    select id, 'voucher', completed_at, 3, 'COMPLETED', 'system', 'posting'
    from vouchers where status = 'COMPLETED' and completed_at is not null
    union all
    select v.id, 'voucher', a.at, 2,
           case when a.action in ('voucher.hold', 'quarantine.voucher') then 'HELD' else 'RECEIVED' end,
           a.actor, case a.action when 'quarantine.voucher' then 'quarantine: ' || coalesce(a.detail, '') else a.action end
    from audit_log a join vouchers v on a.subject = v.adm_div_code || '/' || v.voucher_no
    where a.action in ('voucher.hold', 'voucher.release', 'quarantine.voucher')
       or a.action = 'quarantine.release' and a.detail = 'VOUCHER'
    union all
    select r.voucher_id, 'return', coalesce(v.completed_at, v.received_at), 1, 'SCHEDULED', 'system', 'posting: failed lines'
    from returns r join vouchers v on v.id = r.voucher_id
    union all
    select voucher_id, 'return', executed_at, 2, 'EXECUTED', coalesce(executed_by, 'system'), 'returns'
    from returns where status = 'EXECUTED' and executed_at is not null
) h
order by voucher_id, at, ord;
