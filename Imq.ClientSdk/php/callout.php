<?php
// An IMQ call-out endpoint in plain PHP: IMQ asks it who a session token belongs to, whether a user may
// join a private room, whether a chat line may be sent, and tells it who logs in and out. Copy it into
// your application and replace the tables below with your own lookups (sessions, rooms, moderation).
//
// Needs PHP 8.1 or later and no extension. Run it:
//   IMQ_CALLOUT_SECRET='<the same value as Imq:Callouts:Secret>' php -S 127.0.0.1:8080 callout.php
// and start IMQ with Imq:Callouts:BaseUrl=http://127.0.0.1:8080 and Imq:Callouts:Secret=<that value>.
//
// Every request from IMQ is a POST with a JSON body and two headers:
//   X-Imq-Timestamp: the Unix time (seconds) it was sent
//   X-Imq-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>" keyed with the secret>
// A request whose signature does not match, or whose timestamp is more than 5 minutes off, gets 401.
//
// Login and logout are appended to the file named by IMQ_CALLOUT_LOG (default: imq-callout.log in the
// system's temp folder), one line each: "<ISO time> login alice".

declare(strict_types=1);

const MAX_CLOCK_SKEW_SECONDS = 300;

// Session tokens your application handed to its users (a browser gets one at sign-in) => user ids.
$TOKENS = [
    'tok-alice-5b2f9c' => 'alice',
    'tok-bob-8e41d7' => 'bob',
    'tok-carol-c03a66' => 'carol',
];

// Private rooms: who may join, and what everyone else is told.
$PRIVATE_ROOMS = [
    '/vip/lounge' => ['members' => ['alice'], 'reason' => 'the lounge is for VIP members only'],
    '/vip/staff' => ['members' => ['alice', 'bob'], 'reason' => 'staff only'],
];

// Words a chat line may not contain.
$BANNED_WORDS = ['spam', 'scam'];

/** Sends a JSON answer and stops. */
function answer(int $status, array $body): never
{
    http_response_code($status);
    header('Content-Type: application/json');
    echo json_encode($body);
    exit;
}

/** Checks that the request comes from IMQ: a signature made with our shared secret, a recent timestamp. */
function verify_request(string $secret, string $body): void
{
    $timestamp = $_SERVER['HTTP_X_IMQ_TIMESTAMP'] ?? '';
    $signature = $_SERVER['HTTP_X_IMQ_SIGNATURE'] ?? '';
    if (!preg_match('/^[0-9]{1,12}$/', $timestamp) || abs(time() - (int)$timestamp) > MAX_CLOCK_SKEW_SECONDS) {
        answer(401, ['error' => 'missing or stale X-Imq-Timestamp']);
    }
    $expected = 'sha256=' . hash_hmac('sha256', $timestamp . '.' . $body, $secret);
    if (!hash_equals($expected, $signature)) {
        answer(401, ['error' => 'bad X-Imq-Signature']);
    }
}

/** Appends "<time> <event> <userId>" to the log of who logged in and out. */
function record_presence(string $event, string $userId): void
{
    $log = getenv('IMQ_CALLOUT_LOG') ?: sys_get_temp_dir() . '/imq-callout.log';
    file_put_contents($log, date('c') . " $event $userId\n", FILE_APPEND | LOCK_EX);
}

/** Every string inside a message's data (data may be any JSON value: text, object, list). */
function strings_in(mixed $data): array
{
    if (is_string($data)) {
        return [$data];
    }
    if (is_array($data)) {
        return array_merge([], ...array_map('strings_in', array_values($data)));
    }
    return [];
}

$secret = getenv('IMQ_CALLOUT_SECRET');
if ($secret === false || strlen($secret) < 32) {
    answer(500, ['error' => 'set IMQ_CALLOUT_SECRET to the value of Imq:Callouts:Secret (at least 32 bytes)']);
}
if ($_SERVER['REQUEST_METHOD'] !== 'POST') {
    answer(405, ['error' => 'IMQ call-outs are POSTs']);
}

$body = file_get_contents('php://input');
verify_request($secret, $body);
$request = json_decode($body, true);
if (!is_array($request)) {
    answer(400, ['error' => 'the body is not a JSON object']);
}

$path = parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH);
switch ($path) {
    case '/connect':
        // {token} -> {userId}; null (or any 4xx) refuses the connection.
        answer(200, ['userId' => $TOKENS[$request['token'] ?? ''] ?? null]);

    case '/join':
        // {userId, queue} -> {allow, reason?}; asked for queues whose rule says Join: callout.
        $room = $PRIVATE_ROOMS[$request['queue'] ?? ''] ?? null;
        if ($room !== null && !in_array($request['userId'] ?? '', $room['members'], true)) {
            answer(200, ['allow' => false, 'reason' => $room['reason']]);
        }
        answer(200, ['allow' => true]);

    case '/send':
        // {userId, queue, mount, data} -> {allow, reason?}; asked for mounts whose rule says callout.
        foreach (strings_in($request['data'] ?? null) as $text) {
            foreach ($BANNED_WORDS as $word) {
                if (stripos($text, $word) !== false) {
                    answer(200, ['allow' => false, 'reason' => "the message contains a banned word: $word"]);
                }
            }
        }
        answer(200, ['allow' => true]);

    case '/login':
    case '/logout':
        // {userId}: IMQ ignores the answer.
        record_presence(ltrim($path, '/'), (string)($request['userId'] ?? ''));
        answer(200, ['ok' => true]);

    default:
        answer(404, ['error' => 'unknown call-out']);
}
