// Serves the demo pages that ship with the program (the browser chat sample, copied at build from
// Imq.ClientSdk/js into samples/ next to the program) at /samples/, only when Imq:Samples:Enabled is
// set: a production node serves no demo page. The files are static; nothing here mints tokens.
using Imq.Backplane.Hosting;
using Microsoft.Extensions.FileProviders;

namespace Imq.Hubs.Startup;

internal static partial class SampleFiles
{
    /// <summary>Where the samples are served.</summary>
    public const string RequestPath = "/samples";

    public static void UseImqSamples(this WebApplication app, ImqOptions options)
    {
        if (!options.Samples.Enabled)
        {
            return;
        }

        var root = Path.Combine(AppContext.BaseDirectory, "samples");
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Imq.Samples");
        if (!Directory.Exists(root))
        {
            LogMissing(logger, root);
            return;
        }

        app.UseFileServer(new FileServerOptions
        {
            RequestPath = RequestPath,
            FileProvider = new PhysicalFileProvider(root),
            EnableDefaultFiles = true,
            StaticFileOptions =
            {
                OnPrepareResponse = context =>
                {
                    var headers = context.Context.Response.Headers;
                    headers.CacheControl = "no-cache";
                    headers.XContentTypeOptions = "nosniff";
                    headers.ContentSecurityPolicy = "default-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'";
                },
            },
        });
        LogServing(logger, RequestPath);
    }

    [LoggerMessage(EventId = 1101, Level = LogLevel.Warning, Message = "Imq:Samples:Enabled is set but the sample files are missing from {Root}")]
    private static partial void LogMissing(ILogger logger, string root);

    [LoggerMessage(EventId = 1100, Level = LogLevel.Information, Message = "Serving the demo pages at {Path}/ (Imq:Samples:Enabled)")]
    private static partial void LogServing(ILogger logger, string path);
}
