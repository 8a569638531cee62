// A whole queue as a value: what a replica needs to go on from where the owner was (its seq, mounts with
// their state and versions, history ring and members). The engine exports one from a live queue and
// installs one when this node takes over a bucket.
using Imq.QueueServer.Engine;

namespace Imq.QueueServer.Model;

internal sealed record QueueImage(
    string Name,
    long Seq,
    IReadOnlyList<MountSnapshot> Mounts,
    IReadOnlyList<SequencedEvent> History,
    IReadOnlyList<Member> Members);
