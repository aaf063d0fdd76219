using Prometheus;

namespace BankGateway.Worker.Hosting.Service;

/// <summary>
/// What <c>GET /metrics</c> exposes (Prometheus text). Counters count this process's work since it started;
/// gauges that describe the shared database (returns due, oldest waiting voucher, deadline risk) are measured
/// at each scrape, so every node of a cluster reports the same values for them.
/// </summary>
internal static class GatewayMetrics
{
    public static readonly Counter OutboundTampered = Metrics.CreateCounter("bankgateway_outbound_tampered_total",
        "Outbound files found on disk with bytes other than the SM3 recorded when produced (regenerated from the database, alarmed).");

    public static readonly Counter FilesDelivered = Metrics.CreateCounter("bankgateway_delivery_files_total",
        "Outbound files delivered to a bureau by this node (each file once per delivery row; re-sends count again).", "channel");

    public static readonly Counter DeliveryFailures = Metrics.CreateCounter("bankgateway_delivery_failures_total",
        "Delivery attempts that failed (channel down, or stored bytes not matching their SM3).", "channel");

    public static readonly Gauge DeliveryPending = Metrics.CreateGauge("bankgateway_delivery_pending",
        "Outbound files waiting to be delivered to the bureau (file_deliveries PENDING).", "channel");

    public static readonly Gauge DeliveryOldestPending = Metrics.CreateGauge("bankgateway_delivery_oldest_pending_seconds",
        "Age of the oldest outbound file still waiting to be delivered to the bureau.", "channel");

    public static readonly Gauge Quarantined = Metrics.CreateGauge("bankgateway_quarantined",
        "Sets, vouchers and answers held in quarantine, waiting for an operator.", "kind");

    public static readonly Gauge DatabaseFailover = Metrics.CreateGauge("bankgateway_database_failover_in_progress",
        "1 while this node finds no writable primary after having reached one (failover or outage in progress), else 0.");

    public static readonly Gauge PaidUncleared = Metrics.CreateGauge("bankgateway_paid_uncleared_vouchers",
        "Completed vouchers with money paid that no QS_ lists, older than one working day.");

    public static readonly Counter PostingChunks = Metrics.CreateCounter("bankgateway_posting_chunks_total",
        "Posting chunks committed by this node, by insert: fast (plain, nobody in the chunk paid before) or checked " +
        "(a line met an earlier payment of the same person, subsidy and period: the chunk ran again recording F07).", "insert");

    public static readonly Counter SetsTaken = Metrics.CreateCounter("bankgateway_intake_sets_taken_total",
        "Voucher sets (PV_ + .sig + detail file) taken from a channel's inbox.", "channel");

    public static readonly Counter Vouchers = Metrics.CreateCounter("bankgateway_vouchers_total",
        "Vouchers by outcome: accepted, rejected, redelivered (identical re-delivery), answered (HD_ written).", "channel", "outcome");

    public static readonly Counter LinesPosted = Metrics.CreateCounter("bankgateway_lines_posted_total",
        "Lines of vouchers whose posting this process finished, by result: paid or failed.", "result");

    public static readonly Gauge LinesPerSecond = Metrics.CreateGauge("bankgateway_posting_lines_per_second",
        "Lines per second of the last poll pass that posted anything.");

    public static readonly Counter Failures = Metrics.CreateCounter("bankgateway_failures_total",
        "Voucher rejections (R01–R07) and failed lines (F01–F15) by code.", "code");

    public static readonly Counter ReturnsExecuted = Metrics.CreateCounter("bankgateway_returns_executed_total",
        "Returns executed by this process (TH_ written).");

    public static readonly Counter ClearingRequests = Metrics.CreateCounter("bankgateway_clearing_requests_total",
        "QS_ clearing requests written by this process.");

    public static readonly Counter ChannelErrors = Metrics.CreateCounter("bankgateway_channel_errors_total",
        "Failed polls or deliveries, by channel.", "channel");

    public static readonly Gauge ChannelCircuit = Metrics.CreateGauge("bankgateway_channel_circuit_state",
        "Poll circuit of a channel on this node: 0 closed (polling), 1 open (paused after repeated errors), 2 half-open (trying again).", "channel");

    public static readonly Gauge ReturnsDue = Metrics.CreateGauge("bankgateway_returns_due",
        "Scheduled returns due today or earlier and not yet executed.");

    public static readonly Gauge ReturnsOverdue = Metrics.CreateGauge("bankgateway_returns_overdue",
        "Scheduled returns whose due date has passed (must have gone on the next working day).");

    public static readonly Gauge OldestUnprocessedAge = Metrics.CreateGauge("bankgateway_oldest_unprocessed_voucher_age_seconds",
        "Age of the oldest voucher received but not completed (0 when none).");

    public static readonly Gauge DeadlineRisk = Metrics.CreateGauge("bankgateway_vouchers_at_deadline_risk",
        "Vouchers not completed within their channel's PayWithin after receipt (default the second working day; due today or late).");

    public static readonly Gauge DeadlineRiskByChannel = Metrics.CreateGauge("bankgateway_vouchers_at_deadline_risk_by_channel",
        "As bankgateway_vouchers_at_deadline_risk, by bureau (channel = AdmDivCode), each under its own PayWithin.", "channel");

    public static readonly Gauge ReconciliationDifferences = Metrics.CreateGauge("bankgateway_reconciliation_differences",
        "Completed vouchers whose paid/failed totals disagree with the journal at the last reconciliation (must be 0).");

    public static readonly Gauge ReconciliationLastRun = Metrics.CreateGauge("bankgateway_reconciliation_last_run_timestamp_seconds",
        "Unix time of the last reconciliation on this node.");

    public static readonly Gauge HostKeyRejections = Metrics.CreateGauge("bankgateway_channel_host_key_rejections",
        "SFTP connections refused on this node because the server's host key was not the pinned HostKeySha256 (an alarm: must stay 0).", "channel");

    public static readonly Gauge SftpRetries = Metrics.CreateGauge("bankgateway_channel_retries",
        "Transient SFTP errors retried on this node, by channel.", "channel");

    public static readonly Gauge CalendarYearMissing = Metrics.CreateGauge("bankgateway_calendar_year_missing",
        "1 when the working-day calendar lacks this China year (year=\"this\") or the next (year=\"next\"): import it (calendar import).", "year");

    /// <summary>
    /// What prometheus-net adds to our series, made to pass <c>promtool check metrics</c>. It re-exports every .NET
    /// meter (the runtime's System.Runtime, Npgsql, Quartz); instruments named <c>*.count</c> (threads, CPUs,
    /// assemblies, timers, database connections) come out as gauges ending in <c>_count</c>, a suffix Prometheus keeps
    /// for histograms and summaries, so they are left out (prometheus-net's own <c>process_*</c> and <c>dotnet_*</c>
    /// series say the same). The EventCounter adapter is off: the System.Runtime meter carries the same runtime
    /// figures since .NET 9, and the adapter's own gauge ends in <c>_total</c>, a suffix kept for counters.
    /// Called before the first scrape: both only take effect when the registry is first collected.
    /// </summary>
    public static void ConfigureRuntimeMeters()
    {
        Metrics.ConfigureMeterAdapter(o => o.InstrumentFilterPredicate = instrument => !instrument.Name.EndsWith(".count", StringComparison.Ordinal));
        Metrics.SuppressDefaultMetrics(new SuppressDefaultMetricOptions { SuppressDebugMetrics = true, SuppressEventCounters = true, SuppressMeters = false, SuppressProcessMetrics = false });
    }

    /// <summary>Publishes each SFTP channel's own counters (host-key refusals, retries) at every scrape.</summary>
    public static void ExposeChannelCounters(Channels.ChannelRegistry channels) =>
        Metrics.DefaultRegistry.AddBeforeCollectCallback(() =>
        {
            foreach (var entry in channels.All)
            {
                if (entry.Channel is not Channels.SftpChannel sftp) continue;
                HostKeyRejections.WithLabels(entry.Settings.AdmDivCode).Set(sftp.Counters.HostKeyRejections);
                SftpRetries.WithLabels(entry.Settings.AdmDivCode).Set(sftp.Counters.Retries);
            }
        });

    /// <summary>Measures the database gauges at every scrape; a failed measurement leaves the last values.</summary>
    public static void MeasureAtScrape(DeadlineWatch deadlines, Microsoft.Extensions.Logging.ILogger logger) =>
        Metrics.DefaultRegistry.AddBeforeCollectCallback(async ct =>
        {
            try
            {
                var snapshot = await deadlines.MeasureAsync(ct);
                ReturnsDue.Set(snapshot.ReturnsDue);
                ReturnsOverdue.Set(snapshot.OverdueReturns.Count);
                OldestUnprocessedAge.Set(snapshot.OldestUnprocessedSeconds);
                DeadlineRisk.Set(snapshot.VouchersAtRisk.Count);
                var byChannel = DeadlineWatch.ByChannel(snapshot);
                foreach (var labels in DeadlineRiskByChannel.GetAllLabelValues().ToList())
                    if (!byChannel.ContainsKey(labels[0])) DeadlineRiskByChannel.WithLabels(labels).Set(0);
                foreach (var (channel, count) in byChannel) DeadlineRiskByChannel.WithLabels(channel).Set(count);
                PaidUncleared.Set(snapshot.PaidUncleared);
                foreach (var labels in DeliveryPending.GetAllLabelValues().ToList())
                {
                    if (snapshot.DeliveryBacklog.ContainsKey(labels[0])) continue;
                    DeliveryPending.WithLabels(labels).Set(0);
                    DeliveryOldestPending.WithLabels(labels).Set(0);
                }
                foreach (var (channel, (count, oldest)) in snapshot.DeliveryBacklog)
                {
                    DeliveryPending.WithLabels(channel).Set(count);
                    DeliveryOldestPending.WithLabels(channel).Set(oldest);
                }
                foreach (var kind in new[] { "SET", "VOUCHER", "ANSWER" })
                    Quarantined.WithLabels(kind.ToLowerInvariant()).Set(snapshot.Quarantined.GetValueOrDefault(kind));
                var (thisYear, nextYear) = await deadlines.CalendarGapsAsync(ct);
                CalendarYearMissing.WithLabels("this").Set(thisYear ? 1 : 0);
                CalendarYearMissing.WithLabels("next").Set(nextYear ? 1 : 0);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The database is down (/health/ready says so): the scrape still answers with the last values.
                Microsoft.Extensions.Logging.LoggerExtensions.LogWarning(logger, "Metrics: database gauges not measured: {Message}", e.Message);
            }
        });

    /// <summary>Makes every labelled series visible from the start, at zero, for each configured channel.</summary>
    public static void Initialise(IEnumerable<string> channels)
    {
        foreach (var channel in channels)
        {
            SetsTaken.WithLabels(channel);
            ChannelErrors.WithLabels(channel);
            FilesDelivered.WithLabels(channel);
            DeliveryFailures.WithLabels(channel);
            DeliveryPending.WithLabels(channel).Set(0);
            DeliveryOldestPending.WithLabels(channel).Set(0);
            ChannelCircuit.WithLabels(channel).Set(0);
            foreach (var outcome in new[] { "accepted", "rejected", "redelivered", "answered" }) Vouchers.WithLabels(channel, outcome);
        }
        LinesPosted.WithLabels("paid");
        LinesPosted.WithLabels("failed");
    }
}
