<?php
// IMQ's REST client for PHP: one class over the /api/v1 API (docs/PROTOCOL.md) for a web app's backend —
// create and delete queues, mounts and members, post messages, change state, mint user tokens, send direct
// messages, look at users and the cluster. No dependency: it uses the curl extension when PHP has it and
// plain HTTP stream contexts otherwise. Errors are Imq\ImqException with the stable code.

declare(strict_types=1);

namespace Imq;

require_once __DIR__ . '/ImqException.php';

/**
 * A client of IMQ's REST API (`/api/v1`), authenticated with a server API key.
 *
 * ```php
 * $imq = new Imq\ImqClient('http://127.0.0.1:5080', $apiKey);
 * $imq->createQueue('/room/123', ['chat' => 'message', 'score' => 'state']);
 * $seq = $imq->send('/room/123', 'chat', ['text' => 'hello'], 'php-app');
 * ```
 *
 * Every method throws {@see ImqException} on an error answer (with its stable code, HTTP status and detail)
 * and when no answer came in time (code `unavailable`, status 0). Requests are not retried: a `send` that
 * timed out may still have been published.
 *
 * JSON values: `data`, state values and the answers are plain PHP values (`json_encode` / `json_decode` with
 * associative arrays). An empty PHP array is sent as the JSON list `[]`; send `new \stdClass()` for an empty
 * object. Answers decode JSON objects as associative arrays, so an empty object reads as `[]`.
 */
final class ImqClient
{
    private const JSON_FLAGS = JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_PRESERVE_ZERO_FRACTION | JSON_THROW_ON_ERROR;

    private string $baseUrl;
    private string $apiKey;
    private float $timeout;
    private float $connectTimeout;
    private bool $useCurl;

    /**
     * @param string $baseUrl where the node listens, e.g. `http://127.0.0.1:5080` (no `/api/v1`)
     * @param string $apiKey a server API key (one of `Imq:ApiKeys`)
     * @param array{timeout?: float, connectTimeout?: float, transport?: string} $options `timeout`: seconds
     *        to wait for an answer (default 10; curl: for the whole request, streams: for each read);
     *        `connectTimeout`: seconds to connect (default 5; curl only, streams use `timeout`); `transport`: `curl` or `stream` (default: curl when the extension
     *        is loaded, else streams)
     * @throws \InvalidArgumentException for a base URL that is not http(s), an empty key or a bad option
     */
    public function __construct(string $baseUrl, string $apiKey, array $options = [])
    {
        if (!preg_match('#^https?://#i', $baseUrl)) {
            throw new \InvalidArgumentException('baseUrl must start with http:// or https://');
        }
        if ($apiKey === '') {
            throw new \InvalidArgumentException('apiKey must not be empty');
        }
        $this->baseUrl = rtrim($baseUrl, '/');
        $this->apiKey = $apiKey;
        $this->timeout = (float)($options['timeout'] ?? 10.0);
        $this->connectTimeout = (float)($options['connectTimeout'] ?? 5.0);
        if ($this->timeout <= 0 || $this->connectTimeout <= 0) {
            throw new \InvalidArgumentException('timeouts must be positive numbers of seconds');
        }
        $transport = $options['transport'] ?? (extension_loaded('curl') ? 'curl' : 'stream');
        if ($transport !== 'curl' && $transport !== 'stream') {
            throw new \InvalidArgumentException('transport must be curl or stream');
        }
        if ($transport === 'curl' && !extension_loaded('curl')) {
            throw new \InvalidArgumentException('the curl extension is not loaded');
        }
        $this->useCurl = $transport === 'curl';
    }

    /**
     * Creates a queue with its mounts (`PUT /queues/{queue}`). Creating a queue that exists already changes
     * nothing and is not an error.
     *
     * @param string $queue the queue's name, e.g. `/room/123`
     * @param array<int|string, mixed> $mounts either a map name => type (`['chat' => 'message', 'score' => 'state']`)
     *        or a list of `['name' => ..., 'type' => ...]`
     * @throws ImqException `invalid` (a name, a type, a mount twice), `too_large` (too many mounts)
     */
    public function createQueue(string $queue, array $mounts = []): void
    {
        $list = [];
        foreach ($mounts as $key => $value) {
            $list[] = is_array($value) ? $value : ['name' => (string)$key, 'type' => $value];
        }
        $this->request('PUT', $this->queuePath($queue), ['mounts' => $list]);
    }

    /**
     * Deletes a queue (`DELETE /queues/{queue}`): its members get `Left(queue, "deleted")`.
     *
     * @param string $queue the queue's name
     * @throws ImqException `not_found` when the queue does not exist
     */
    public function deleteQueue(string $queue): void
    {
        $this->request('DELETE', $this->queuePath($queue));
    }

    /**
     * A queue's snapshot (`GET /queues/{queue}`): `['queue' => ..., 'seq' => n, 'mounts' => [['name', 'type',
     * 'version', 'state'], ...], 'members' => [userId, ...], 'gap' => null]`.
     *
     * @param string $queue the queue's name
     * @return array<string, mixed>
     * @throws ImqException `not_found` when the queue does not exist
     */
    public function getQueue(string $queue): array
    {
        return $this->request('GET', $this->queuePath($queue));
    }

    /**
     * Adds a mount to a queue (`PUT /queues/{queue}/mounts/{mount}`); members get `Mounted`. A mount of that
     * name and type existing already changes nothing.
     *
     * @param string $queue the queue's name
     * @param string $mount the mount's name
     * @param string $type `message` or `state`
     * @throws ImqException `not_found` (no such queue), `conflict` (the mount exists with the other type),
     *         `invalid`, `too_large`
     */
    public function mount(string $queue, string $mount, string $type): void
    {
        $this->request('PUT', $this->queuePath($queue) . '/mounts/' . rawurlencode($mount), ['type' => $type]);
    }

    /**
     * Removes a mount (`DELETE /queues/{queue}/mounts/{mount}`); members get `Unmounted`.
     *
     * @param string $queue the queue's name
     * @param string $mount the mount's name
     * @throws ImqException `not_found` when the queue or the mount does not exist
     */
    public function unmount(string $queue, string $mount): void
    {
        $this->request('DELETE', $this->queuePath($queue) . '/mounts/' . rawurlencode($mount));
    }

    /**
     * Makes an online user a member of a queue (`PUT /queues/{queue}/members/{userId}`): the user gets
     * `Joined` with the snapshot, the other members `Presence`.
     *
     * @param string $queue the queue's name
     * @param string $userId the user's id
     * @throws ImqException `not_found` (no such queue, or the user is not online), `too_large`
     */
    public function addMember(string $queue, string $userId): void
    {
        $this->request('PUT', $this->queuePath($queue) . '/members/' . rawurlencode($userId));
    }

    /**
     * Ends a user's membership (`DELETE /queues/{queue}/members/{userId}`): the user gets
     * `Left(queue, "removed")`. A user that is offline or not a member is not an error.
     *
     * @param string $queue the queue's name
     * @param string $userId the user's id
     * @throws ImqException `not_found` when the queue does not exist
     */
    public function removeMember(string $queue, string $userId): void
    {
        $this->request('DELETE', $this->queuePath($queue) . '/members/' . rawurlencode($userId));
    }

    /**
     * Publishes a message on a message mount (`POST /queues/{queue}/mounts/{mount}/messages`); every member
     * gets `Message(queue, mount, from, data, seq)`.
     *
     * @param string $queue the queue's name
     * @param string $mount a message mount of the queue
     * @param mixed $data any value with a JSON form (at most `Imq:Limits:MaxMessageBytes` as JSON)
     * @param string|null $from the user id members see as the sender, or null
     * @return int the message's `seq`
     * @throws ImqException `not_found`, `invalid` (a state mount, a bad value), `too_large`
     */
    public function send(string $queue, string $mount, mixed $data, ?string $from = null): int
    {
        $answer = $this->request('POST', $this->queuePath($queue) . '/mounts/' . rawurlencode($mount) . '/messages', ['data' => $data, 'from' => $from]);
        return (int)$answer['seq'];
    }

    /**
     * Sets keys of a state mount (`PATCH /queues/{queue}/mounts/{mount}/state`); a null value deletes the key.
     * Every member gets `State(queue, mount, changes, version)`.
     *
     * @param string $queue the queue's name
     * @param string $mount a state mount of the queue
     * @param array<string, mixed>|object $changes key => value, not empty (sent as a JSON object even when
     *        the keys are numbers)
     * @param int|null $expectedVersion compare-and-set: the change is made only if the mount's version is
     *        still this one (else `conflict`); null to set unconditionally
     * @return int the mount's new version (the change's `seq`)
     * @throws ImqException `conflict`, `not_found`, `invalid` (no keys, a message mount), `too_large`
     */
    public function setState(string $queue, string $mount, array|object $changes, ?int $expectedVersion = null): int
    {
        $answer = $this->request(
            'PATCH',
            $this->queuePath($queue) . '/mounts/' . rawurlencode($mount) . '/state',
            ['changes' => (object)$changes, 'expectedVersion' => $expectedVersion]
        );
        return (int)$answer['version'];
    }

    /**
     * Mints a user token (`POST /tokens`): a JWT with `sub` = the user id, for the user's client to connect
     * to the hub with.
     *
     * @param string $userId the user's id
     * @param int $ttlSeconds the token's lifetime, 1 to `Imq:Auth:MaxTokenTtlSeconds` (default 7 days)
     * @return string the token
     * @throws ImqException `invalid` (a bad user id or lifetime)
     */
    public function createToken(string $userId, int $ttlSeconds = 3600): string
    {
        $answer = $this->request('POST', '/tokens', ['userId' => $userId, 'ttlSeconds' => $ttlSeconds]);
        return (string)$answer['token'];
    }

    /**
     * Sends a direct message to one user (`POST /users/{userId}/messages`); the user gets
     * `Direct(from, data, id)`.
     *
     * @param string $userId the recipient
     * @param mixed $data any value with a JSON form
     * @param bool $reliable true: stored until the recipient acknowledges it, delivered at its next login
     *        when offline; false: delivered only if the user is online now
     * @param string|null $id an idempotency key (1-128 characters): the same id to the same user again
     *        answers what the first send answered and delivers nothing again
     * @param string|null $from the user id the recipient sees as the sender, or null
     * @return string `delivered`, `stored` (reliable, the user is offline) or `offline` (unreliable, nothing kept)
     * @throws ImqException `invalid`, `too_large`, `rate_limited` (`mailbox full`), `unavailable` (the store)
     */
    public function sendToUser(string $userId, mixed $data, bool $reliable = false, ?string $id = null, ?string $from = null): string
    {
        $answer = $this->request('POST', '/users/' . rawurlencode($userId) . '/messages', ['data' => $data, 'reliable' => $reliable, 'id' => $id, 'from' => $from]);
        return (string)$answer['status'];
    }

    /**
     * Whether a user is online (`GET /users/{userId}`): `['online' => bool, 'gateway' => nodeId|null,
     * 'queues' => [...]]`. `queues` is filled only when asked on the node that holds the user's connection.
     *
     * @param string $userId the user's id
     * @return array<string, mixed>
     * @throws ImqException `invalid` (a bad user id)
     */
    public function getUser(string $userId): array
    {
        return $this->request('GET', '/users/' . rawurlencode($userId));
    }

    /**
     * Whether a user is online now (the `online` of {@see getUser()}).
     *
     * @param string $userId the user's id
     * @return bool
     * @throws ImqException `invalid` (a bad user id)
     */
    public function isOnline(string $userId): bool
    {
        return (bool)$this->getUser($userId)['online'];
    }

    /**
     * The cluster as the answering node sees it (`GET /cluster`): `version`, `bits`, `buckets` (the owner of
     * each bucket), `replicas`, `nodes` (`id`, `url`, `state`, `buckets`), `self` (cluster only), `counters`.
     *
     * @return array<string, mixed>
     * @throws ImqException `unavailable` when the cluster's database is unreachable
     */
    public function getCluster(): array
    {
        return $this->request('GET', '/cluster');
    }

    /**
     * Drains a cluster node (`POST /cluster/nodes/{nodeId}/drain`): it hands its queues to other nodes, then
     * exits. Answers at once; `getCluster()` shows the node `draining` until it has gone.
     *
     * @param string $nodeId the node's id
     * @return array<string, mixed> `['id' => nodeId, 'state' => 'draining']`
     * @throws ImqException `not_found` (no such node), `invalid` (a single node), `conflict` (the node is down,
     *         or nothing could take its queues)
     */
    public function drainNode(string $nodeId): array
    {
        return $this->request('POST', '/cluster/nodes/' . rawurlencode($nodeId) . '/drain');
    }

    private function queuePath(string $queue): string
    {
        // One path segment: /room/123 travels as %2Froom%2F123.
        return '/queues/' . rawurlencode($queue);
    }

    /**
     * One request to /api/v1; the decoded answer ([] for 204), or an ImqException.
     *
     * @param array<string, mixed>|null $body
     * @return array<string, mixed>
     */
    private function request(string $method, string $path, ?array $body = null): array
    {
        try {
            $content = $body === null ? null : json_encode($body, self::JSON_FLAGS);
        } catch (\JsonException $e) {
            throw new ImqException(ImqException::INVALID, 0, 'the value has no JSON form: ' . $e->getMessage(), null, $e);
        }
        $url = $this->baseUrl . '/api/v1' . $path;
        $headers = ['Authorization: Bearer ' . $this->apiKey, 'Accept: application/json'];
        if ($content !== null) {
            $headers[] = 'Content-Type: application/json';
        }
        [$status, $text] = $this->useCurl
            ? $this->viaCurl($method, $url, $headers, $content)
            : $this->viaStream($method, $url, $headers, $content);
        $decoded = $text === '' ? null : json_decode($text, true, 512, JSON_BIGINT_AS_STRING);
        if ($status >= 200 && $status < 300) {
            return is_array($decoded) ? $decoded : [];
        }
        throw self::errorOf($status, is_array($decoded) ? $decoded : null, $text);
    }

    /** @param array<string, mixed>|null $problem */
    private static function errorOf(int $status, ?array $problem, string $text): ImqException
    {
        if ($problem !== null && is_string($problem['code'] ?? null)) {
            return new ImqException($problem['code'], $status, (string)($problem['detail'] ?? $problem['title'] ?? ''), $problem);
        }
        // Answers the web server gives before IMQ sees the request (404 of an unknown path, 405, 431) have
        // no problem body: the code follows the status.
        $code = match ($status) {
            400, 431 => ImqException::INVALID,
            401 => ImqException::UNAUTHORIZED,
            403 => ImqException::FORBIDDEN,
            404, 405 => ImqException::NOT_FOUND,
            409 => ImqException::CONFLICT,
            413 => ImqException::TOO_LARGE,
            429 => ImqException::RATE_LIMITED,
            default => $status >= 500 ? ImqException::UNAVAILABLE : ImqException::INVALID,
        };
        return new ImqException($code, $status, $text !== '' ? substr($text, 0, 500) : 'HTTP ' . $status, $problem);
    }

    /**
     * @param list<string> $headers
     * @return array{int, string}
     */
    private function viaCurl(string $method, string $url, array $headers, ?string $content): array
    {
        $curl = curl_init($url);
        $options = [
            CURLOPT_CUSTOMREQUEST => $method,
            CURLOPT_HTTPHEADER => $headers,
            CURLOPT_RETURNTRANSFER => true,
            CURLOPT_FOLLOWLOCATION => false,
            CURLOPT_TIMEOUT_MS => (int)ceil($this->timeout * 1000),
            CURLOPT_CONNECTTIMEOUT_MS => (int)ceil(min($this->connectTimeout, $this->timeout) * 1000),
            CURLOPT_NOSIGNAL => true,
        ];
        if ($content !== null) {
            $options[CURLOPT_POSTFIELDS] = $content;
        }
        curl_setopt_array($curl, $options);
        $text = curl_exec($curl);
        if ($text === false) {
            $error = curl_error($curl);
            throw new ImqException(ImqException::UNAVAILABLE, 0, "no answer from {$url}: {$error}");
        }
        $status = (int)curl_getinfo($curl, CURLINFO_RESPONSE_CODE);
        return [$status, (string)$text];
    }

    /**
     * @param list<string> $headers
     * @return array{int, string}
     */
    private function viaStream(string $method, string $url, array $headers, ?string $content): array
    {
        $headers[] = 'Connection: close';
        $http = [
            'method' => $method,
            'header' => implode("\r\n", $headers),
            'timeout' => $this->timeout,
            'ignore_errors' => true,
            'follow_location' => 0,
            'protocol_version' => 1.1,
        ];
        if ($content !== null) {
            $http['content'] = $content;
        }
        $context = stream_context_create(['http' => $http]);
        error_clear_last();
        $stream = @fopen($url, 'rb', false, $context);
        if ($stream === false) {
            $error = error_get_last()['message'] ?? 'the request failed';
            throw new ImqException(ImqException::UNAVAILABLE, 0, "no answer from {$url}: {$error}");
        }
        $text = @stream_get_contents($stream);
        $meta = stream_get_meta_data($stream);
        fclose($stream);
        if ($text === false || !empty($meta['timed_out'])) {
            throw new ImqException(ImqException::UNAVAILABLE, 0, "no answer from {$url}: timed out after {$this->timeout} s");
        }
        $status = 0;
        foreach ($meta['wrapper_data'] ?? [] as $line) {
            if (is_string($line) && preg_match('#^HTTP/\S+\s+(\d{3})#', $line, $m)) {
                $status = (int)$m[1]; // the last status line wins (after any 100 Continue)
            }
        }
        if ($status === 0) {
            throw new ImqException(ImqException::UNAVAILABLE, 0, "no answer from {$url}: no HTTP status line");
        }
        return [$status, $text];
    }
}
