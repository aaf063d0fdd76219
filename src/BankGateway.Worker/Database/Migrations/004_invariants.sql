-- Contract §12–§13: canonical identity, containment, exactly-once clearing.

-- The canonical form of identifying text (the SQL twin of Domain.Text.CanonicalText, used only to
-- backfill rows written before it existed): NFKC, then every kind of white space trimmed.
create function canonical_text(t text) returns text language sql immutable strict as $$
    select btrim(case when getdatabaseencoding() = 'UTF8' then normalize(t, NFKC) else t end,
                 E' \t\n\r\u000B\f\u0085\u00A0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200A\u2028\u2029\u202F\u205F\u3000')
$$;

-- An account status outside the six the contract names must never pay (it used to fall through to 'pay').
alter table accounts add constraint accounts_status_known check (status between 0 and 5);

-- Catalogue: canonical department and subsidy (skipping a row whose canonical twin already exists).
update catalogue c set dept_name = canonical_text(c.dept_name), subsidy_name = canonical_text(c.subsidy_name)
where (c.dept_name <> canonical_text(c.dept_name) or c.subsidy_name <> canonical_text(c.subsidy_name))
  and not exists (select 1 from catalogue o where o.year = c.year
                  and o.dept_name = canonical_text(c.dept_name) and o.subsidy_name = canonical_text(c.subsidy_name));

update accounts set holder_name = canonical_text(holder_name), id_number = upper(canonical_text(id_number))
where holder_name <> canonical_text(holder_name) or id_number <> upper(canonical_text(id_number));

update vouchers set dept_name = canonical_text(dept_name), subsidy_name = canonical_text(subsidy_name), period = canonical_text(period)
where dept_name <> canonical_text(dept_name) or subsidy_name <> canonical_text(subsidy_name) or period <> canonical_text(period);

-- Lines still to be posted are compared in canonical form too (posted lines are history: left as read).
update voucher_lines l set name = canonical_text(l.name), id_number = upper(canonical_text(l.id_number)),
       account_no = canonical_text(l.account_no), dept_name = canonical_text(l.dept_name),
       subsidy_name = canonical_text(l.subsidy_name), period = canonical_text(l.period)
from vouchers v
where v.id = l.voucher_id and v.status <> 'COMPLETED';

-- The F07 key, fixed at intake from the matched catalogue entry and the canonical period (PaymentKey).
alter table vouchers add column payment_key text;
update vouchers set payment_key = dept_name || '|' || subsidy_name || '|' || period;
alter table vouchers alter column payment_key set not null;
-- Intake always sets it from the matched catalogue entry; a row written by other means (a repair, a
-- test fixture) gets the same formula from its own, already canonical, columns rather than no key.
create function vouchers_default_payment_key() returns trigger language plpgsql as $$
begin
    if new.payment_key is null then
        new.payment_key := canonical_text(new.dept_name) || '|' || canonical_text(new.subsidy_name) || '|' || canonical_text(new.period);
    end if;
    return new;
end $$;
create trigger vouchers_payment_key before insert on vouchers for each row execute function vouchers_default_payment_key();

-- Re-key every payment. Should the old raw keys already have let one person be paid twice, the later
-- payment keeps a key of its own (marked, so supervision finds it) instead of failing the upgrade.
drop index journal_one_payment_per_person;
update journal j set subsidy_key = v.payment_key
from vouchers v
where v.id = j.voucher_id and j.kind = 'P' and j.side = 'C' and j.subsidy_key is distinct from v.payment_key;
update journal j set subsidy_key = j.subsidy_key || '#paid-twice-before-004:' || j.id
from (select id, row_number() over (partition by id_number, subsidy_key order by id) as n
      from journal where kind = 'P' and side = 'C') d
where d.id = j.id and d.n > 1;
create unique index journal_one_payment_per_person on journal (id_number, subsidy_key) where kind = 'P' and side = 'C';

-- A set, voucher or answer that failed for an unexpected reason is held here, alarmed, until an
-- operator releases it; everything else keeps flowing (contract §12).
create table quarantine (
    id            bigserial primary key,
    kind          text not null check (kind in ('SET', 'VOUCHER', 'ANSWER')),
    set_key       text,            -- SET: voucher file name + SM3 of the voucher and its .sig (what is skipped while held)
    adm_div_code  text not null,
    voucher_no    text not null,
    voucher_id    bigint,
    file_name     text,
    error         text not null,
    created_at    timestamptz not null,
    released_at   timestamptz,
    released_by   text
);
create unique index quarantine_open_set on quarantine (set_key) where kind = 'SET' and released_at is null;
create unique index quarantine_open_voucher on quarantine (kind, voucher_id) where kind <> 'SET' and released_at is null;
alter table vouchers add column hold_reason text;

-- Which QS_ lists each paid voucher: the key makes "exactly one QS_" a constraint, and the rows fix a
-- written QS_'s content so a re-created file is byte-identical (contract §13).
create table clearing_lines (
    voucher_id    bigint primary key,
    adm_div_code  text not null,
    clear_date    date not null
);
create index clearing_lines_request on clearing_lines (adm_div_code, clear_date);
-- Backfill: a voucher was in the QS_ of its own business day when it had completed before that QS_ was written.
insert into clearing_lines (voucher_id, adm_div_code, clear_date)
select v.id, v.adm_div_code, r.clear_date
from vouchers v
join clearing_requests r on r.adm_div_code = v.adm_div_code and r.clear_date = v.business_date
where v.status = 'COMPLETED' and v.paid_fen > 0 and v.completed_at <= r.created_at;
alter table clearing_requests add column treasury_fen bigint;
alter table clearing_requests add column grain_fund_fen bigint;
