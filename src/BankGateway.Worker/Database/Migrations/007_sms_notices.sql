-- SMS notices to beneficiaries (contract §16): one per credited line with a valid 手机号码, created in the
-- posting chunk's own transaction, so a line is credited if and only if its notice exists.
-- id is what the SMS platform sees and de-duplicates on: <AdmDivCode>-<VoucherNo>-<序号>.
create table sms_notices (
    id               text primary key,
    voucher_id       bigint not null,
    row_no           int not null,
    phone            text not null,
    text             text not null,
    state            text not null default 'PENDING' check (state in ('PENDING', 'SENT')),
    attempts         int not null default 0,
    last_error       text,
    created_at       timestamptz not null,
    sent_at          timestamptz,
    next_attempt_at  timestamptz not null
);
-- What the sender claims (due first) and what the metrics count; created_at rides along for the oldest-pending age.
create index sms_notices_pending on sms_notices (next_attempt_at) include (created_at) where state = 'PENDING';
