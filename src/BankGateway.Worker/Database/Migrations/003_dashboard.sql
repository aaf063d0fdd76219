-- Dashboard operator accounts (`users add`, decisions Q9). Passwords are ASP.NET Core Identity
-- PasswordHasher hashes (PBKDF2); the plain password is never stored or logged.
create table users (
    name           text primary key check (name ~ '^[A-Za-z0-9._-]{1,64}$'),
    role           text not null check (role in ('viewer', 'operator', 'admin')),
    password_hash  text not null,
    -- changes with every password or role change: sessions issued before it end at their next request
    stamp          text not null,
    failed_logins  int not null default 0,
    locked_until   timestamptz,
    created_at     timestamptz not null default now(),
    updated_at     timestamptz not null default now()
);

-- The audit log view pages newest first; the voucher page reads one subject's entries.
create index audit_log_subject on audit_log (subject, id);
