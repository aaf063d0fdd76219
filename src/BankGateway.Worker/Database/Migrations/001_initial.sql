-- BankGateway schema v1. Money is bigint fen everywhere; times are timestamptz, shown in China time.

-- One row per finance bureau channel seen (configured or used by run-once).
create table channels (
    adm_div_code  text primary key check (adm_div_code ~ '^[0-9]{6}$'),
    kind          text not null default 'Local',
    last_poll_at  timestamptz,
    last_error    text,
    created_at    timestamptz not null default now()
);

-- Every complete set taken from an inbox, keyed by the digest of its files (voucher, detail SM3, .sig):
-- an identical re-delivery finds its row. Accepted vouchers are also found by content alone (vouchers.content_sm3).
create table deliveries (
    id             bigserial primary key,
    content_sm3    text not null unique,
    adm_div_code   text not null,
    voucher_no     text not null,
    voucher_file   text not null,
    detail_file    text,
    outcome        text not null check (outcome in ('ACCEPTED', 'REJECTED')),
    reject_code    text,
    reject_detail  text,
    voucher_id     bigint,
    received_at    timestamptz not null
);

-- Accepted vouchers (an R04 duplicate number never gets a second row).
create table vouchers (
    id                bigserial primary key,
    adm_div_code      text not null,
    voucher_no        text not null,
    content_sm3       text not null,
    status            text not null check (status in ('RECEIVED', 'HELD', 'POSTING', 'COMPLETED')),
    business_date     date not null,
    received_at       timestamptz not null,
    completed_at      timestamptz,
    vt_code           text not null,
    st_year           int not null,
    vou_date          date not null,
    dept_code         text not null,
    dept_name         text not null,
    subsidy_code      text not null,
    subsidy_name      text not null,
    period            text not null,
    pay_acct_no       text not null,
    pay_acct_name     text not null,
    fund_channel      text not null,
    return_acct_no    text not null,
    return_acct_name  text not null,
    pay_amt_fen       bigint not null,
    detail_count      int not null,
    detail_file       text not null,
    detail_file_sm3   text not null,
    detail_encoding   text not null,
    reissue_of        text,
    -- summary counters, kept by the posting transaction so screens never scan lines
    chunk_count       int not null default 0,
    chunks_done       int not null default 0,
    paid_count        int not null default 0,
    paid_fen          bigint not null default 0,
    failed_count      int not null default 0,
    failed_fen        bigint not null default 0,
    -- claim with a lease: one worker posts a voucher at a time. claim_pid is the claiming worker's
    -- PostgreSQL session: when that session is gone the worker is gone, and the claim lapses at once.
    claimed_by        text,
    claim_pid         int,
    claim_expires_at  timestamptz,
    unique (adm_div_code, voucher_no)
);
create index vouchers_status on vouchers (status) where status <> 'COMPLETED';
create index vouchers_content on vouchers (content_sm3);
create index vouchers_completed_day on vouchers (business_date, adm_div_code) where status = 'COMPLETED';

-- Lines as read, append-only. precheck_code holds F01–F06 found while reading (pure checks, no database).
-- No foreign key to vouchers: it would cost a check per copied line, and the intake transaction inserts
-- the voucher and its lines together anyway.
create table voucher_lines (
    voucher_id       bigint not null,
    row_no           int not null,
    file_line        int not null,
    seq_no           text not null,
    name             text not null,
    id_number        text not null,
    account_no       text not null,
    dept_name        text not null,
    subsidy_name     text not null,
    amount_text      text not null,
    amount_fen       bigint,
    period           text not null,
    phone            text not null,
    orig_voucher_no  text not null,
    orig_seq_no      text not null,
    remark           text not null,
    precheck_code    smallint,
    primary key (voucher_id, row_no)
);

-- Re-issue (补发) lines are few: this small partial index finds them without touching the rest.
create index voucher_lines_reissue on voucher_lines (voucher_id) where orig_voucher_no <> '';

-- Failures found when posting (F07–F15) and copies of prechecked ones, one row per failed line.
create table line_failures (
    voucher_id  bigint not null,
    row_no      int not null,
    code        smallint not null check (code between 1 and 15),
    primary key (voucher_id, row_no)
);

-- Customer accounts from the core-banking account master. id_number is stored upper-case.
create table accounts (
    account_no      text primary key,
    holder_name     text not null,
    id_number       text not null,
    status          smallint not null,
    balance_fen     bigint not null default 0,
    gateway_posted  boolean not null default false,
    updated_at      timestamptz not null default now()
);

-- The bank's own accounts touched by the gateway: transit (代发过渡户), payer and return accounts.
create table internal_accounts (
    account_no   text primary key,
    name         text not null,
    balance_fen  bigint not null default 0
);

-- Double-entry journal, one row per leg; every transaction's debits equal its credits.
--   kind F (funding, once per voucher): debit the payer account, credit the transit account (代发过渡户)
--   kind P (payment, per chunk): debit transit by the chunk total (ref_no = chunk), credit each beneficiary (ref_no = row)
--   kind R (return): debit transit, credit the voucher's return account
create table journal (
    id             bigserial primary key,
    voucher_id     bigint not null,
    kind           char(1) not null check (kind in ('F', 'P', 'R')),
    side           char(1) not null check (side in ('D', 'C')),
    ref_no         int not null,
    account_no     text not null,
    amount_fen     bigint not null check (amount_fen > 0),
    narrative      text not null,
    id_number      text,
    subsidy_key    text,
    business_date  date not null,
    posted_at      timestamptz not null,
    unique (voucher_id, kind, side, ref_no)
);
-- The same person is never paid twice for the same subsidy and period (F07), even under a bug.
create unique index journal_one_payment_per_person on journal (id_number, subsidy_key) where kind = 'P' and side = 'C';

-- Yuan text of a fen amount, as the contract writes it: 350.00
create function fen_text(fen bigint) returns text language sql immutable strict as $$
    select (fen / 100)::text || '.' || lpad((fen % 100)::text, 2, '0')
$$;

-- A chunk's completion mark, committed with its credits: resume skips exactly these.
create table posting_chunks (
    voucher_id    bigint not null,
    chunk_no      int not null,
    first_row     int not null,
    last_row      int not null,
    paid_count    int not null,
    paid_fen      bigint not null,
    failed_count  int not null,
    failed_fen    bigint not null,
    committed_at  timestamptz not null,
    primary key (voucher_id, chunk_no)
);

-- Subsidy catalogue (补贴政策清单) per year.
create table catalogue (
    year           int not null,
    level          text not null,
    dept_name      text not null,
    subsidy_code   text not null,
    subsidy_name   text not null,
    fund_channel   text not null,
    frequency      text not null,
    line_cap_fen   bigint,
    primary key (year, dept_name, subsidy_name)
);

-- Operator-updatable calendar; the embedded official data seeds it. kind: H holiday, W adjusted working day.
create table calendar_days (
    day   date primary key,
    kind  char(1) not null check (kind in ('H', 'W'))
);
create table calendar_years (
    year int primary key
);

-- Failed money due back by the original channel on the next working day.
create table returns (
    voucher_id       bigint primary key,
    due_date         date not null,
    due_covered      boolean not null,
    return_count     int not null,
    return_fen       bigint not null,
    status           text not null check (status in ('SCHEDULED', 'EXECUTED')),
    executed_at      timestamptz,
    executed_by      text
);

-- One QS_ per bureau and business day.
create table clearing_requests (
    adm_div_code   text not null,
    clear_date     date not null,
    voucher_count  int not null,
    total_fen      bigint not null,
    file_name      text not null,
    created_at     timestamptz not null,
    primary key (adm_div_code, clear_date)
);

-- Every outbound file once produced: its digest fixes its content for the thing it answers (source);
-- a re-send re-creates the same bytes. A later answer under the same name (a second rejected delivery
-- of one voucher number) is a new source and replaces the file.
create table outbound_files (
    file_name     text primary key,
    kind          text not null,
    source        text not null,
    adm_div_code  text not null,
    voucher_id    bigint,
    sm3           text not null,
    size_bytes    bigint not null,
    archive_path  text not null,
    created_at    timestamptz not null
);

-- Append-only audit trail: who did what and when.
create table audit_log (
    id        bigserial primary key,
    at        timestamptz not null default now(),
    actor     text not null,
    action    text not null,
    subject   text,
    detail    text
);
create function audit_log_is_append_only() returns trigger language plpgsql as $$
begin
    raise exception 'audit_log is append-only';
end $$;
create trigger audit_log_no_change before update or delete on audit_log
    for each row execute function audit_log_is_append_only();

-- 补发 links, readable both ways: a re-issue line to the failed original it names, and an original
-- to every later line that re-issued it.
create view reissue_links as
select rv.id as reissue_voucher_id, rv.voucher_no as reissue_voucher_no, rl.row_no as reissue_row_no, rl.seq_no as reissue_seq_no,
       rv.adm_div_code, rl.orig_voucher_no, rl.orig_seq_no,
       ov.id as orig_voucher_id, ol.row_no as orig_row_no,
       f.code as orig_failure_code
from voucher_lines rl
join vouchers rv on rv.id = rl.voucher_id
left join vouchers ov on ov.adm_div_code = rv.adm_div_code and ov.voucher_no = rl.orig_voucher_no
left join voucher_lines ol on ol.voucher_id = ov.id and ol.seq_no = rl.orig_seq_no
left join line_failures f on f.voucher_id = ol.voucher_id and f.row_no = ol.row_no
where rl.orig_voucher_no <> '';
