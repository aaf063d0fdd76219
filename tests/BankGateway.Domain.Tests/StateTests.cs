using BankGateway.Domain.States;

namespace BankGateway.Domain.Tests;

public class StateTests
{
    [Test]
    public void A_voucher_is_created_received_and_only_posting_completes_it()
    {
        Assert.Multiple(() =>
        {
            Assert.That(VoucherStatus.CanMove(null, VoucherStatus.Received), Is.True);
            Assert.That(VoucherStatus.CanMove(null, VoucherStatus.Completed), Is.False, "a voucher is never created completed");
            Assert.That(VoucherStatus.CanMove(VoucherStatus.Received, VoucherStatus.Posting), Is.True);
            Assert.That(VoucherStatus.CanMove(VoucherStatus.Posting, VoucherStatus.Completed), Is.True);
            Assert.That(VoucherStatus.CanMove(VoucherStatus.Received, VoucherStatus.Completed), Is.False, "completion follows funding");
            Assert.That(VoucherStatus.CanMove(VoucherStatus.Held, VoucherStatus.Posting), Is.False, "a release goes back to RECEIVED first");
        });
    }

    [Test]
    public void Hold_and_release_apply_to_unfinished_vouchers_only()
    {
        Assert.Multiple(() =>
        {
            Assert.That(VoucherStatus.CanMove(VoucherStatus.Received, VoucherStatus.Held), Is.True);
            Assert.That(VoucherStatus.CanMove(VoucherStatus.Posting, VoucherStatus.Held), Is.True, "the quarantine holds a voucher that failed mid-posting");
            Assert.That(VoucherStatus.CanMove(VoucherStatus.Held, VoucherStatus.Received), Is.True);
            Assert.That(VoucherStatus.CanMove(VoucherStatus.Completed, VoucherStatus.Held), Is.False);
        });
    }

    [Test]
    public void A_file_delivery_goes_out_once_and_a_re_send_is_a_new_delivery()
    {
        Assert.Multiple(() =>
        {
            Assert.That(FileDeliveryState.CanMove(null, FileDeliveryState.Pending), Is.True);
            Assert.That(FileDeliveryState.CanMove(FileDeliveryState.Pending, FileDeliveryState.Delivered), Is.True);
            Assert.That(FileDeliveryState.CanMove(FileDeliveryState.Pending, FileDeliveryState.Superseded), Is.True, "produced anew under its name before it went out");
            Assert.That(FileDeliveryState.CanMove(FileDeliveryState.Delivered, FileDeliveryState.Pending), Is.False, "a re-send is a new row, never a delivered one reopened");
            Assert.That(FileDeliveryState.CanMove(FileDeliveryState.Superseded, FileDeliveryState.Delivered), Is.False);
            Assert.That(FileDeliveryState.Parse("DELIVERED"), Is.SameAs(FileDeliveryState.Delivered));
        });
    }

    [Test]
    public void Completed_and_executed_are_final_and_nothing_moves_to_itself()
    {
        Assert.Multiple(() =>
        {
            Assert.That(VoucherStatus.Machine.IsFinal(VoucherStatus.Completed), Is.True);
            Assert.That(ReturnStatus.Machine.IsFinal(ReturnStatus.Executed), Is.True);
            Assert.That(VoucherStatus.All.Where(VoucherStatus.Machine.IsFinal), Is.EqualTo(new[] { VoucherStatus.Completed }));
            foreach (var s in VoucherStatus.All) Assert.That(VoucherStatus.CanMove(s, s), Is.False, s.Text);
            foreach (var s in ReturnStatus.All) Assert.That(ReturnStatus.CanMove(s, s), Is.False, s.Text);
        });
    }

    [Test]
    public void A_return_is_scheduled_then_executed_once()
    {
        Assert.Multiple(() =>
        {
            Assert.That(ReturnStatus.CanMove(null, ReturnStatus.Scheduled), Is.True);
            Assert.That(ReturnStatus.CanMove(ReturnStatus.Scheduled, ReturnStatus.Executed), Is.True);
            Assert.That(ReturnStatus.CanMove(null, ReturnStatus.Executed), Is.False);
            Assert.That(ReturnStatus.CanMove(ReturnStatus.Executed, ReturnStatus.Scheduled), Is.False);
        });
    }

    [Test]
    public void A_delivery_outcome_never_changes_once_decided()
    {
        foreach (var from in DeliveryOutcome.All)
            foreach (var to in DeliveryOutcome.All)
                Assert.That(DeliveryOutcome.Machine.CanMove(from, to), Is.False, $"{from} → {to}");
    }

    [Test]
    public void Every_member_parses_from_its_stored_text_and_an_unknown_text_is_refused()
    {
        foreach (var s in VoucherStatus.All) Assert.That(VoucherStatus.Parse(s.Text), Is.SameAs(s));
        foreach (var s in ReturnStatus.All) Assert.That(ReturnStatus.Parse(s.Text), Is.SameAs(s));
        foreach (var s in DeliveryOutcome.All) Assert.That(DeliveryOutcome.Parse(s.Text), Is.SameAs(s));
        var e = Assert.Throws<FormatException>(() => VoucherStatus.Parse("received"));
        Assert.That(e!.Message, Does.Contain("RECEIVED, HELD, POSTING, COMPLETED"));
    }

    [Test]
    public void Members_of_different_types_are_never_equal_and_print_as_their_text()
    {
        Assert.That(VoucherStatus.Completed.ToString(), Is.EqualTo("COMPLETED"));
        Assert.That((State)DeliveryOutcome.Rejected, Is.Not.EqualTo((State)ReturnStatus.Scheduled));
        Assert.That(VoucherStatus.All.Select(s => s.Text), Is.Unique);
    }
}
