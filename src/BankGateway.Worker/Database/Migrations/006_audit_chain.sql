-- Contract §15: the audit log is tamper-evident. Each entry carries prev_sm3 (the entry_sm3 of the entry
-- before it; 64 zeros for the first) and entry_sm3 = SM3 of its canonical text (audit_log_canonical below,
-- specified in specs/supervision.md and recomputed by `audit verify` in C#). The hashes are computed here,
-- in a BEFORE INSERT trigger, so every writer (plain `insert into audit_log (actor, action, subject, detail)`)
-- is covered in its own transaction without code changes.
--
-- Ordering: the trigger takes a transaction-scoped advisory lock (held until commit) and only then draws the
-- entry's id from the sequence (the column has no default any more), so ids follow the order in which entries
-- join the chain, which is their commit order (the lock is held until commit). The chain head is kept
-- in audit_chain_head (one row) and moved by UPDATE: under READ COMMITTED the update sees the latest head;
-- under REPEATABLE READ a head moved by a concurrent writer makes the insert fail (40001) instead of forking
-- the chain. audit verify also compares the head with the last entry, which detects removing the newest entries.
create extension if not exists pgcrypto;

alter table audit_log add column prev_sm3 text, add column entry_sm3 text;

-- The canonical text hashed for an entry: the fields joined by LF, each field escaped so that LF never occurs
-- inside one (backslash -> \\, LF -> \n) and SQL null written as \N (an actual text "\N" is written "\\N").
--   bg-audit-v1 LF id LF at LF actor LF action LF subject LF detail LF prev_sm3
-- id in decimal; at in UTC as YYYY-MM-DDTHH:MI:SS.ffffffZ (microseconds, PostgreSQL's precision).
-- The text is encoded as UTF-8 before hashing.
create function audit_log_field(v text) returns text language sql immutable as $$
    select case when v is null then '\N' else replace(replace(v, '\', '\\'), E'\n', '\n') end
$$;

create function audit_log_canonical(id bigint, at timestamptz, actor text, action text, subject text, detail text, prev_sm3 text)
returns text language sql stable as $$
    select 'bg-audit-v1' || E'\n' || id::text
        || E'\n' || to_char(at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
        || E'\n' || audit_log_field(actor)
        || E'\n' || audit_log_field(action)
        || E'\n' || audit_log_field(subject)
        || E'\n' || audit_log_field(detail)
        || E'\n' || audit_log_field(prev_sm3)
$$;

create function audit_log_entry_sm3(id bigint, at timestamptz, actor text, action text, subject text, detail text, prev_sm3 text)
returns text language sql stable as $$
    select encode(digest(convert_to(audit_log_canonical(id, at, actor, action, subject, detail, prev_sm3), 'UTF8'), 'sm3'), 'hex')
$$;

-- The chain head: the newest entry's id and hash (no row until the first entry).
create table audit_chain_head (
    one        boolean primary key default true check (one),
    last_id    bigint not null,
    last_sm3   text not null
);

-- Backfill the entries written before this migration, in id order.
do $$
declare
    r record;
    prev text := repeat('0', 64);
    h text;
    last bigint;
begin
    alter table audit_log disable trigger audit_log_no_change;
    for r in select * from audit_log order by id loop
        h := audit_log_entry_sm3(r.id, r.at, r.actor, r.action, r.subject, r.detail, prev);
        update audit_log set prev_sm3 = prev, entry_sm3 = h where id = r.id;
        prev := h;
        last := r.id;
    end loop;
    alter table audit_log enable trigger audit_log_no_change;
    if last is not null then
        insert into audit_chain_head (last_id, last_sm3) values (last, prev);
    end if;
end $$;

alter table audit_log alter column prev_sm3 set not null, alter column entry_sm3 set not null;

-- Fixed key for pg_advisory_xact_lock: "BGAUDITC" in ASCII.
create function audit_log_chain() returns trigger language plpgsql as $$
declare
    prev text;
begin
    perform pg_advisory_xact_lock(4775857764323382339);
    new.id := nextval(pg_get_serial_sequence('audit_log', 'id'));
    new.at := coalesce(new.at, now());
    select last_sm3 into prev from audit_chain_head where one for update;
    if prev is null then
        prev := repeat('0', 64);
    end if;
    new.prev_sm3 := prev;
    new.entry_sm3 := audit_log_entry_sm3(new.id, new.at, new.actor, new.action, new.subject, new.detail, prev);
    insert into audit_chain_head (last_id, last_sm3) values (new.id, new.entry_sm3)
        on conflict (one) do update set last_id = excluded.last_id, last_sm3 = excluded.last_sm3;
    return new;
end $$;

create trigger audit_log_chain before insert on audit_log
    for each row execute function audit_log_chain();

-- The trigger draws the id (under the lock); a column default would only burn a second sequence value per entry.
-- NOT NULL is checked after BEFORE triggers, so plain inserts still work; an insert with triggers switched off fails.
alter table audit_log alter column id drop default;

-- The head moves only through the trigger above.
create function audit_chain_head_guard() returns trigger language plpgsql as $$
begin
    if tg_op = 'DELETE' then
        raise exception 'audit_chain_head cannot be deleted';
    end if;
    return new;
end $$;
create trigger audit_chain_head_no_delete before delete on audit_chain_head
    for each row execute function audit_chain_head_guard();

-- Results of `audit verify` and of the nightly check, newest last: the dashboard's audit page shows the latest.
create table audit_verifications (
    id           bigserial primary key,
    verified_at  timestamptz not null default now(),
    verified_by  text not null,
    holds        boolean not null,
    entries      bigint not null,
    broken_id    bigint,
    message      text not null
);

-- Contract §15 A04: holder name or ID changes of an account (by an account master import), with their time.
create table account_changes (
    id               bigserial primary key,
    account_no       text not null,
    old_holder_name  text not null,
    new_holder_name  text not null,
    old_id_number    text not null,
    new_id_number    text not null,
    changed_at       timestamptz not null default now()
);
create index account_changes_account on account_changes (account_no, changed_at);

create function accounts_record_change() returns trigger language plpgsql as $$
begin
    if new.holder_name is distinct from old.holder_name or new.id_number is distinct from old.id_number then
        insert into account_changes (account_no, old_holder_name, new_holder_name, old_id_number, new_id_number)
        values (new.account_no, old.holder_name, new.holder_name, old.id_number, new.id_number);
    end if;
    return null;
end $$;
create trigger accounts_record_change after update of holder_name, id_number on accounts
    for each row execute function accounts_record_change();
