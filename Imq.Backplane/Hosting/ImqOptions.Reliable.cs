// The `Imq:Reliable` part of the configuration: how long stored reliable messages live, how many one user
// may have waiting, how they are read at login, and how long idempotency ids are remembered.
namespace Imq.Backplane.Hosting;

public sealed partial class ImqOptions
{
    /// <summary><c>Imq:Reliable</c>: the store of reliable direct messages; see <see cref="ReliableSection"/>.</summary>
    public ReliableSection Reliable { get; set; } = new();

    /// <summary>The <c>Imq:Reliable</c> section.</summary>
    public sealed class ReliableSection
    {
        /// <summary><c>Imq:Reliable:TtlDays</c>: how long a reliable message waits for the recipient's
        /// <c>Ack</c>; after that it is never delivered again and is deleted. 1 to 365. Default 14.</summary>
        public int TtlDays { get; set; } = 14;

        /// <summary><c>Imq:Reliable:MaxPerUser</c>: how many unexpired reliable messages one user's mailbox may
        /// hold; a reliable send to a full mailbox answers <c>rate_limited</c> ("mailbox full") and stores
        /// nothing. 1 to 100000. Default 1000.</summary>
        public int MaxPerUser { get; set; } = 1000;

        /// <summary><c>Imq:Reliable:PageSize</c>: how many stored messages are read from the store at a time
        /// when they are delivered at login. 1 to 1000. Default 100.</summary>
        public int PageSize { get; set; } = 100;

        /// <summary><c>Imq:Reliable:IdempotencyHours</c>: how long the <c>id</c> of a direct message is
        /// remembered (a repeat within that time answers the first answer and delivers nothing). 24 to 720.
        /// Default 24.</summary>
        public int IdempotencyHours { get; set; } = 24;
    }
}
