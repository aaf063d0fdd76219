-- Dual control (双人复核): an operator requests a sensitive dashboard action with a reason; a different
-- operator or admin approves or rejects it before it expires. Parameters are the action's own inputs as
-- JSON (never a password: a user change carries the password hash; never a revealed value).
create table approval_requests (
    id             bigserial primary key,
    action         text not null check (action in ('Release', 'ExecuteReturn', 'Reveal', 'Users', 'QuarantineRelease')),
    subject        text not null,
    summary        text not null,
    params         text not null,
    reason         text not null check (length(btrim(reason)) > 0),
    requested_by   text not null,
    requested_at   timestamptz not null,
    expires_at     timestamptz not null,
    status         text not null default 'PENDING' check (status in ('PENDING', 'APPROVED', 'REJECTED', 'EXPIRED')),
    decided_by     text,
    decided_at     timestamptz,
    decision_note  text,
    outcome        text,
    reveal_until   timestamptz,
    check (decided_by is null or decided_by <> requested_by)
);
create index approval_requests_pending on approval_requests (expires_at) where status = 'PENDING';
create index approval_requests_requester on approval_requests (requested_by, id);
