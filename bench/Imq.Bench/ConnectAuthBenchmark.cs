// BenchmarkDotNet micro-benchmark of what a hub connect costs in authentication: CallerAuthenticator on the
// upgrade request of a user (an HS256 JWT validated with the node's key) and of a server (an API key compared
// in constant time). Part of what a login costs the gateway (the box run gives the whole connect's CPU).
// Run only on demand: dotnet run -c Release --project bench/Imq.Bench -- micro --filter '*ConnectAuth*'
using System.Security.Cryptography;
using System.Text;
using BenchmarkDotNet.Attributes;
using Imq.Backplane.Hosting;
using Imq.Hubs.Auth;
using Imq.Hubs.Startup;
using Microsoft.AspNetCore.Http;

namespace Imq.Bench;

[MemoryDiagnoser]
public class ConnectAuthBenchmark
{
    private const string SigningKey = "bench-signing-key-0123456789abcdef0123456789";
    private const string ApiKey = "bench-api-key-0123456789abcdef";
    private CallerAuthenticator _authenticator = null!;
    private DefaultHttpContext _user = null!;
    private DefaultHttpContext _server = null!;
    private string _dataDir = null!;

    [GlobalSetup]
    public void Setup()
    {
        _dataDir = Directory.CreateTempSubdirectory("imq-bench-auth-").FullName;
        var options = new ImqOptions { DataDir = _dataDir, ApiKeys = [ApiKey], Auth = { JwtSigningKey = SigningKey } };
        _authenticator = new CallerAuthenticator(options, NodeSecrets.Load(options));
        _user = Request(Token("user-1"));
        _server = Request(ApiKey);
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_dataDir, recursive: true);

    [Benchmark]
    public bool UserJwt() => _authenticator.AuthenticateAsync(_user.Request, mayCallOut: false).AsTask().Result.Principal is not null;

    [Benchmark]
    public bool ServerApiKey() => _authenticator.AuthenticateAsync(_server.Request, mayCallOut: false).AsTask().Result.Principal is not null;

    private static DefaultHttpContext Request(string token)
    {
        var context = new DefaultHttpContext();
        context.Request.Headers.Authorization = "Bearer " + token;
        return context;
    }

    /// <summary>A user token as an app's backend signs it (HS256, sub and exp).</summary>
    private static string Token(string userId)
    {
        static string B64(ReadOnlySpan<byte> b) => Convert.ToBase64String(b).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var header = B64("""{"alg":"HS256","typ":"JWT"}"""u8);
        var payload = B64(Encoding.UTF8.GetBytes($$"""{"sub":"{{userId}}","exp":{{DateTimeOffset.UtcNow.AddHours(2).ToUnixTimeSeconds()}}}"""));
        return header + "." + payload + "." + B64(HMACSHA256.HashData(Encoding.UTF8.GetBytes(SigningKey), Encoding.ASCII.GetBytes(header + "." + payload)));
    }
}
