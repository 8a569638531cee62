// The checks of `Imq:Callouts`, run at start-up with the IMQ program's other checks (ProgramOptionsValidator):
// a node with a bad call-out setting refuses to start with a message naming the key, rather than asking an
// application it cannot reach or signing with a guessable key.
using System.Globalization;
using Imq.Backplane.Hosting;

namespace Imq.Hubs.Callouts;

internal static class CalloutOptionsValidator
{
    public static void Check(ImqOptions options, List<string> failures)
    {
        var callouts = options.Callouts;
        if (!callouts.Enabled && FirstCalloutRule(options) is { } rule)
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"Imq:Rules:{rule} asks the application (callout), but Imq:Callouts:BaseUrl is not set"));
        }

        if (!string.IsNullOrEmpty(callouts.BaseUrl)
            && (!Uri.TryCreate(callouts.BaseUrl, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https") || url.Query.Length > 0 || url.Fragment.Length > 0))
        {
            failures.Add("Imq:Callouts:BaseUrl must be an absolute http:// or https:// URL without query or fragment (the call-outs are POSTed to {BaseUrl}/connect, /join, ...)");
        }

        if (ImqOptionsValidator.IsPlaceholder(callouts.Secret))
        {
            failures.Add($"Imq:Callouts:Secret still holds the example configuration's placeholder ('{ImqOptionsValidator.PlaceholderPrefix}...'): set a random value of your own ({ImqOptionsValidator.HowToGenerate})");
        }
        else if (callouts.Enabled && string.IsNullOrEmpty(callouts.Secret))
        {
            failures.Add($"Imq:Callouts:Secret must be set when Imq:Callouts:BaseUrl is set (at least {ImqOptionsValidator.MinSecretBytes} bytes; {ImqOptionsValidator.HowToGenerate}): every call-out is signed with it");
        }
        else if (!string.IsNullOrEmpty(callouts.Secret) && System.Text.Encoding.UTF8.GetByteCount(callouts.Secret) < ImqOptionsValidator.MinSecretBytes)
        {
            failures.Add($"Imq:Callouts:Secret must be at least {ImqOptionsValidator.MinSecretBytes} bytes of UTF-8 ({ImqOptionsValidator.HowToGenerate})");
        }

        if (!string.Equals(callouts.OnFailure, ImqOptions.CalloutsSection.Deny, StringComparison.OrdinalIgnoreCase) && !callouts.AllowOnFailure)
        {
            failures.Add("Imq:Callouts:OnFailure must be deny or allow");
        }

        Between("TimeoutMilliseconds", callouts.TimeoutMilliseconds, 50, 60_000, failures);
        Between("JoinCacheSeconds", callouts.JoinCacheSeconds, 0, 3600, failures);
        Between("JoinCacheMaxEntries", callouts.JoinCacheMaxEntries, 1, 10_000_000, failures);
        Between("MaxPendingNotifications", callouts.MaxPendingNotifications, 1, 1_000_000, failures);
        Between("CircuitMinimumThroughput", callouts.CircuitMinimumThroughput, 2, 100_000, failures);
        Between("CircuitBreakSeconds", callouts.CircuitBreakSeconds, 1, 600, failures);
        if (!(callouts.CircuitFailureRatio is > 0 and <= 1))
        {
            failures.Add("Imq:Callouts:CircuitFailureRatio must be above 0 and at most 1");
        }

        if (callouts.CircuitSamplingSeconds is < 1 or > 600 || callouts.CircuitSamplingSeconds * 1000L < 2L * callouts.TimeoutMilliseconds)
        {
            failures.Add("Imq:Callouts:CircuitSamplingSeconds must be between 1 and 600 and at least twice Imq:Callouts:TimeoutMilliseconds");
        }
    }

    private static int? FirstCalloutRule(ImqOptions options)
    {
        static bool IsCallout(string? value) => string.Equals(value?.Trim(), "callout", StringComparison.OrdinalIgnoreCase);
        for (var i = 0; i < options.Rules.Count; i++)
        {
            if (IsCallout(options.Rules[i].Join) || options.Rules[i].Send.Values.Any(IsCallout))
            {
                return i;
            }
        }

        return null;
    }

    private static void Between(string key, int value, int min, int max, List<string> failures)
    {
        if (value < min || value > max)
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"Imq:Callouts:{key} must be between {min} and {max}"));
        }
    }
}
