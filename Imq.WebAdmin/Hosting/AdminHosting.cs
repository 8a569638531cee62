// How a node adds the console: AddImqAdmin registers the components, the cookie scheme and the sign-in
// limiter; MapImqAdmin branches the pipeline at /admin. Inside the branch (its own routing, so the console's
// endpoints are seen nowhere else): the admin cookie is read, the gate refuses everything to a caller who is
// not signed in (pages: a redirect to the sign-in page; anything else, the Blazor hub included: 401), then
// antiforgery and the console's endpoints. Requests outside /admin (the client hub above all) pass the branch
// by one path comparison and meet none of this.
using System.Security.Claims;
using Imq.WebAdmin.Components;
using Imq.WebAdmin.Console;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Imq.WebAdmin.Hosting;

internal static class AdminHosting
{
    /// <summary>Where the console lives.</summary>
    public const string PathBase = "/admin";

    /// <summary>The console's own cookie scheme (no default scheme is set: nothing else in the node authenticates by cookie).</summary>
    public const string Scheme = "ImqAdmin";

    /// <summary>The claim holding a fingerprint of the API key that signed in (a key taken out of the configuration signs its sessions out).</summary>
    public const string KeyClaim = "imq_key";

    /// <summary>The console's pages (the gate's redirect, and the browser test's list of what is refused signed out).</summary>
    public static readonly string[] Pages = ["/", "/rooms", "/users", "/live"];

    // WebApplication hands every branch its global route builder; removed in the branch, UseRouting makes one
    // of the branch's own, so the console's endpoints cannot be matched outside /admin.
    private const string GlobalEndpointRouteBuilderKey = "__GlobalEndpointRouteBuilder";

    /// <summary>
    /// Adds the console to <paramref name="builder"/>, reading the cluster through <typeparamref name="TConsole"/>.
    /// Call it after the host's own SignalR protocols are set (the console's circuits add theirs).
    /// </summary>
    public static WebApplicationBuilder AddImqAdmin<TConsole>(this WebApplicationBuilder builder)
        where TConsole : class, IAdminConsole
    {
        // A node run from its build output (not published) finds the console's assets through the static web
        // assets manifest, which ASP.NET Core reads by itself only in Development.
        builder.WebHost.UseStaticWebAssets();
        builder.Services.AddImqAdmin<TConsole>();
        return builder;
    }

    public static IServiceCollection AddImqAdmin<TConsole>(this IServiceCollection services)
        where TConsole : class, IAdminConsole
    {
        services.AddSingleton<IAdminConsole, TConsole>();
        services.AddSingleton<SignInLimiter>();
        services.AddRazorComponents().AddInteractiveServerComponents();
        services.AddAuthentication().AddCookie(Scheme, o =>
        {
            o.Cookie.Name = "imq_admin";
            o.Cookie.Path = PathBase;
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.ExpireTimeSpan = TimeSpan.FromHours(8);
            o.SlidingExpiration = true;
        });
        services.AddAntiforgery(o =>
        {
            o.Cookie.Name = "imq_admin_af";
            o.Cookie.Path = PathBase;
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
        });
        return services;
    }

    public static IApplicationBuilder MapImqAdmin(this IApplicationBuilder app) =>
        app.Map(PathBase, admin =>
        {
            admin.Properties.Remove(GlobalEndpointRouteBuilderKey);
            admin.UseRouting();
            admin.Use(GateAsync);
            admin.UseAntiforgery();
            admin.UseEndpoints(endpoints =>
            {
                MapAssets(endpoints);
                endpoints.MapPost("/signout", SignOutAsync);
                endpoints.MapRazorComponents<App>().AddInteractiveServerRenderMode();
            });
        });

    /// <summary>Who is signed in (the admin cookie, checked against the node's current keys), then the gate.</summary>
    private static async Task GateAsync(HttpContext context, RequestDelegate next)
    {
        var result = await context.AuthenticateAsync(Scheme);
        var console = context.RequestServices.GetRequiredService<IAdminConsole>();
        if (result.Succeeded && result.Principal.FindFirst(KeyClaim)?.Value is { } key && console.IsKeyFingerprint(key))
        {
            context.User = result.Principal;
            await next(context);
            return;
        }

        var path = context.Request.Path;
        if (path == "/signin" || path.StartsWithSegments("/_content/Imq.WebAdmin"))
        {
            // The sign-in page and its stylesheet are all a signed-out caller gets.
            await next(context);
            return;
        }

        if (HttpMethods.IsGet(context.Request.Method) && AcceptsHtml(context.Request) && !path.StartsWithSegments("/_blazor"))
        {
            var back = context.Request.PathBase + path + context.Request.QueryString;
            context.Response.Redirect($"{context.Request.PathBase}/signin?back={Uri.EscapeDataString(back)}");
            return;
        }

        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
    }

    private static bool AcceptsHtml(HttpRequest request) =>
        request.Headers.Accept.Any(a => a?.Contains("text/html", StringComparison.OrdinalIgnoreCase) == true);

    private static async Task<IResult> SignOutAsync(HttpContext context, IAntiforgery antiforgery)
    {
        if (!await antiforgery.IsRequestValidAsync(context))
        {
            return Results.BadRequest();
        }

        await context.SignOutAsync(Scheme);
        return Results.Redirect($"{context.Request.PathBase}/signin");
    }

    /// <summary>The identity a valid key signs in as.</summary>
    public static ClaimsPrincipal PrincipalFor(string keyFingerprint) =>
        new(new ClaimsIdentity([new Claim(ClaimTypes.Name, "admin"), new Claim(KeyClaim, keyFingerprint)], Scheme));

    /// <summary>
    /// The console's stylesheet and Blazor's script are static web assets, listed in the host's endpoints
    /// manifest next to its assembly. A host started without one (a node hosted by a test process) serves the
    /// console without them.
    /// </summary>
    private static void MapAssets(IEndpointRouteBuilder endpoints)
    {
        var environment = endpoints.ServiceProvider.GetRequiredService<IWebHostEnvironment>();
        foreach (var name in new[] { environment.ApplicationName, "Imq.Hubs" })
        {
            var manifest = Path.Combine(AppContext.BaseDirectory, $"{name}.staticwebassets.endpoints.json");
            if (File.Exists(manifest))
            {
                endpoints.MapStaticAssets(manifest);
                return;
            }
        }

        endpoints.ServiceProvider.GetRequiredService<ILoggerFactory>().CreateLogger("Imq.WebAdmin")
            .LogWarning("No static web assets manifest next to {Path}: the admin console is served without its stylesheet and script", AppContext.BaseDirectory);
    }
}
