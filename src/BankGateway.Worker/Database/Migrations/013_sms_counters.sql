-- The dashboard's SMS tile (sent, attempts) read every notice ever made on each page: a year of notices is tens of
-- millions of rows. The sender keeps the two totals here, in the transaction that records each batch.
create table sms_counters (
    one       boolean primary key default true check (one),
    sent      bigint not null,
    attempts  bigint not null
);
insert into sms_counters (sent, attempts)
select count(*) filter (where state = 'SENT'), coalesce(sum(attempts), 0) from sms_notices;
