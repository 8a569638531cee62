// Engine operations on a queue nobody else is using finish inline; this takes their result without an
// await (and without blocking on that path), so the bench loops stay plain synchronous loops.
namespace Imq.Bench;

internal static class Sync
{
    public static T Wait<T>(ValueTask<T> task) =>
        task.IsCompletedSuccessfully ? task.Result : task.AsTask().GetAwaiter().GetResult();

    public static void Wait(ValueTask task)
    {
        if (!task.IsCompletedSuccessfully)
        {
            task.AsTask().GetAwaiter().GetResult();
        }
    }
}
