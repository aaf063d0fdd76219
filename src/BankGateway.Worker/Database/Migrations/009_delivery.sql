-- Issue 9: delivery is a stage on PostgreSQL. What was produced and what was delivered live in the
-- database, so any node can deliver what another node produced, and a re-send really reaches the bureau.

-- The bytes of every produced file (in parts of at most 1 MiB, so neither side ever holds a large
-- result file whole) and its detached signature exactly as first written: a re-send from any node is
-- byte-identical, .sig included. TOAST compresses the parts.
alter table outbound_files add column signature bytea;
create table outbound_file_parts (
    file_name  text not null references outbound_files (file_name) on delete cascade,
    part_no    int not null,
    bytes      bytea not null,
    primary key (file_name, part_no)
);

-- One row per (file, destination) delivery: the first one when the file is produced, a new one for each
-- re-send (audited). Any node with the channel delivers PENDING rows under the channel's lock.
create table file_deliveries (
    id            bigserial primary key,
    file_name     text not null references outbound_files (file_name) on delete cascade,
    sm3           text not null,
    adm_div_code  text not null,
    reason        text not null,
    requested_by  text not null,
    state         text not null default 'PENDING' check (state in ('PENDING', 'DELIVERED', 'SUPERSEDED')),
    attempts      int not null default 0,
    last_error    text,
    created_at    timestamptz not null default now(),
    delivered_at  timestamptz,
    delivered_by  text,
    remote_size   bigint,
    remote_sm3    text
);
-- A re-send of a file still waiting to go out adds nothing: the waiting row is the re-send.
create unique index file_deliveries_one_pending on file_deliveries (file_name, adm_div_code) where state = 'PENDING';
create index file_deliveries_pending on file_deliveries (adm_div_code, id) where state = 'PENDING';

-- Files produced before this migration were delivered by the node that wrote them (its delivered.txt);
-- they are recorded as delivered then, so an upgrade sends nothing twice.
insert into file_deliveries (file_name, sm3, adm_div_code, reason, requested_by, state, created_at, delivered_at, delivered_by)
select file_name, sm3, adm_div_code, 'produced', 'system', 'DELIVERED', created_at, created_at, 'before-009'
from outbound_files;

-- Remote inbox files taken whose move into the remote processed/ the server refused: remembered by
-- digest for every node (was taken.txt on one node's disk), so a set is never taken twice.
create table taken_files (
    adm_div_code  text not null,
    sm3           text not null,
    name          text not null,
    size_bytes    bigint not null,
    mtime_unix    bigint not null,
    recorded_at   timestamptz not null default now(),
    primary key (adm_div_code, name, size_bytes, mtime_unix, sm3)
);
create index taken_files_digest on taken_files (adm_div_code, sm3);
