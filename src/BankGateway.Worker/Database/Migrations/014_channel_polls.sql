-- D58: channel polls no longer run as Quartz jobs (group 'intake', one per channel) but on every node's own
-- ChannelPoller, behind the channel's advisory lock. Their stored triggers and jobs are removed here once, so no
-- node fires a job whose class is gone. The one exception to "Quartz owns the qrtz_* rows".
delete from qrtz_fired_triggers where job_group = 'intake';
delete from qrtz_triggers where job_group = 'intake';
delete from qrtz_job_details where job_group = 'intake';
delete from qrtz_paused_trigger_grps where trigger_group = 'intake';
