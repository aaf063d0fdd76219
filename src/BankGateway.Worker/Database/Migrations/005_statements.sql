-- Month/year reconciliation statements (DZ_, contract §14) and quarterly 明白条 (MB_, contract §16).
-- The files themselves are recorded in outbound_files (kind DZ / MB, source statement:<adm>:<period> /
-- beneficiaries:<adm>:<period>); nothing else is stored.

-- Which QS_ listed each voucher (contract §13). The clearing-completeness work owns this table and may create it
-- with more columns; here it is created only when absent, with the columns the statements read. Statements read
-- it through one helper (Reconciliation/ClearDates.cs), falling back to clearing_requests by bureau and business
-- date for vouchers it does not list.
create table if not exists clearing_lines (
    voucher_id    bigint primary key,
    adm_div_code  text not null,
    clear_date    date not null
);

-- Statements look vouchers up by business date whatever their status (the refusal lists unfinished ones).
create index if not exists vouchers_business_date on vouchers (business_date, adm_div_code);
