-- Archive: a kept copy of every inbound set member and every outbound file, filed by China-time month, for the
-- retention period (Gateway:Archive:RetentionYears, default 15 years: accounting records). A purge deletes the
-- local copy past the retention and sets purged_at; the row, with its SM3, stays for good (a trigger refuses deletes).
create table archived_files (
    id              bigserial primary key,
    kind            text not null check (kind in ('inbound', 'outbound')),
    file_name       text not null,
    adm_div_code    text not null,
    month           date not null check (extract(day from month) = 1),
    -- relative to the archive folder, so the folder may move to another mount without rewriting rows
    path            text not null unique,
    sm3             text not null,
    size_bytes      bigint not null,
    kept_at         timestamptz not null,
    purged_at       timestamptz,
    verified_at     timestamptz,
    -- null: intact at the last verification; else what was wrong (missing, changed)
    verify_problem  text,
    unique (kind, file_name, sm3)
);
create index archived_files_kept on archived_files (kept_at) where purged_at is null;

create function archived_files_keep_rows() returns trigger language plpgsql as $$
begin
    raise exception 'archived_files rows are kept for good; a purge only sets purged_at';
end $$;
create trigger archived_files_no_delete before delete on archived_files
    for each row execute function archived_files_keep_rows();
