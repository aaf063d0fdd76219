-- An outbound file's parts are stored while it is written, before its outbound_files row (which needs the SM3 and
-- the signature of the whole file) is inserted in the same transaction: the key is checked at commit.
alter table outbound_file_parts alter constraint outbound_file_parts_file_name_fkey deferrable initially deferred;

-- lz4 compresses a result file's parts several times faster than the default pglz, for about the same size on CSV.
-- A server built without lz4 keeps pglz: the parts are the same bytes either way.
do $$
begin
    alter table outbound_file_parts alter column bytes set compression lz4;
exception when feature_not_supported or invalid_parameter_value then
    raise notice 'lz4 not available: outbound_file_parts keeps the default compression';
end $$;
