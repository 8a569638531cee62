<?php
// Drives every method of Imq\ImqClient (Imq.ClientSdk/php) against a running IMQ node, with each transport
// this PHP has (plain streams always, curl when the extension is loaded), and checks the answers and the
// errors' codes. One line per check; the last line is "N passed, M failed"; the exit code is 1 on a failure.
// PhpClientTests runs it against a real node, with a connected user whose client checks what it received.
//
//   php tests/php/client-test.php <baseUrl> <apiKey> [onlineUserId]

declare(strict_types=1);

require __DIR__ . '/../../Imq.ClientSdk/php/ImqClient.php';

use Imq\ImqClient;
use Imq\ImqException;

if ($argc < 3) {
    fwrite(STDERR, "usage: php client-test.php <baseUrl> <apiKey> [onlineUserId]\n");
    exit(2);
}
[, $baseUrl, $apiKey] = $argv;
$onlineUser = $argv[3] ?? null;

$passed = 0;
$failed = 0;

/** Runs one check: it passes when $body returns without throwing. */
function check(string $name, callable $body): void
{
    global $passed, $failed;
    try {
        $body();
        $passed++;
        echo "ok   {$name}\n";
    } catch (\Throwable $e) {
        $failed++;
        echo "FAIL {$name}: " . get_class($e) . ': ' . $e->getMessage() . "\n";
    }
}

function expect(bool $condition, string $what): void
{
    if (!$condition) {
        throw new \RuntimeException($what);
    }
}

/** Runs $call, which must throw ImqException with $code and $status; returns the exception. */
function expectError(string $code, int $status, callable $call): ImqException
{
    try {
        $call();
    } catch (ImqException $e) {
        expect($e->getCode() === $code, "code {$e->getCode()} instead of {$code} ({$e->getMessage()})");
        expect($e->getStatus() === $status, "status {$e->getStatus()} instead of {$status}");
        expect($e->getDetail() !== '', 'an empty detail');
        return $e;
    }
    throw new \RuntimeException("no error; expected {$code}");
}

/** @param array<string, mixed> $snapshot */
function mountOf(array $snapshot, string $name): ?array
{
    foreach ($snapshot['mounts'] as $m) {
        if ($m['name'] === $name) {
            return $m;
        }
    }
    return null;
}

$transports = extension_loaded('curl') ? ['stream', 'curl'] : ['stream'];
echo 'transports: ' . implode(', ', $transports) . "\n";

foreach ($transports as $transport) {
    $imq = new ImqClient($baseUrl, $apiKey, ['transport' => $transport, 'timeout' => 10]);
    $q = '/php-test/' . $transport . '-' . bin2hex(random_bytes(4));
    $t = "[{$transport}] ";

    check($t . 'createQueue with mounts, getQueue shows them at seq 0', function () use ($imq, $q) {
        $imq->createQueue($q, ['chat' => 'message', 'score' => 'state']);
        $s = $imq->getQueue($q);
        expect($s['queue'] === $q && $s['seq'] === 0 && $s['members'] === [], 'snapshot ' . json_encode($s));
        expect(mountOf($s, 'chat')['type'] === 'message' && mountOf($s, 'score')['type'] === 'state', 'mounts ' . json_encode($s['mounts']));
    });
    check($t . 'createQueue again (a list of mounts) changes nothing', function () use ($imq, $q) {
        $imq->createQueue($q, [['name' => 'other', 'type' => 'message']]);
        expect(mountOf($imq->getQueue($q), 'other') === null, 'a mount was added to an existing queue');
    });
    check($t . 'mount, mount again, mount with the other type is conflict', function () use ($imq, $q) {
        $imq->mount($q, 'extra', 'state');
        $imq->mount($q, 'extra', 'state');
        expect(mountOf($imq->getQueue($q), 'extra')['type'] === 'state', 'extra not mounted');
        expectError('conflict', 409, fn () => $imq->mount($q, 'extra', 'message'));
    });
    check($t . 'unmount, unmount again is not_found', function () use ($imq, $q) {
        $imq->unmount($q, 'extra');
        expect(mountOf($imq->getQueue($q), 'extra') === null, 'extra still mounted');
        expectError('not_found', 404, fn () => $imq->unmount($q, 'extra'));
    });

    if ($onlineUser !== null) {
        check($t . 'getUser and isOnline of the connected user', function () use ($imq, $onlineUser) {
            $u = $imq->getUser($onlineUser);
            expect($u['online'] === true && is_string($u['gateway']), 'user ' . json_encode($u));
            expect($imq->isOnline($onlineUser), 'isOnline false');
        });
        check($t . 'addMember: the user is in the member list and its queues', function () use ($imq, $q, $onlineUser) {
            $imq->addMember($q, $onlineUser);
            expect(in_array($onlineUser, $imq->getQueue($q)['members'], true), 'not a member');
            expect(in_array($q, $imq->getUser($onlineUser)['queues'], true), 'not in the user\'s queues');
        });
    }

    check($t . 'send returns consecutive seqs', function () use ($imq, $q, $transport) {
        $first = $imq->send($q, 'chat', ['text' => 'héllo / "php"', 'via' => $transport], 'php-app');
        $second = $imq->send($q, 'chat', null);
        expect($first >= 1 && $second === $first + 1, "seqs {$first}, {$second}");
        expect($imq->getQueue($q)['seq'] === $second, 'the queue\'s seq is not the last send\'s');
    });
    check($t . 'setState, compare-and-set, a stale expectedVersion is conflict', function () use ($imq, $q) {
        $v1 = $imq->setState($q, 'score', ['alice' => 10, '7' => 'seat']);
        $v2 = $imq->setState($q, 'score', ['alice' => 11], $v1);
        expect($v2 === $v1 + 1, "versions {$v1}, {$v2}");
        expectError('conflict', 409, fn () => $imq->setState($q, 'score', ['alice' => 12], $v1));
        $score = mountOf($imq->getQueue($q), 'score');
        expect($score['version'] === $v2 && $score['state'] == ['alice' => 11, '7' => 'seat'], 'state ' . json_encode($score));
    });
    check($t . 'setState with null deletes a key', function () use ($imq, $q) {
        $imq->setState($q, 'score', ['alice' => null]);
        expect(!array_key_exists('alice', mountOf($imq->getQueue($q), 'score')['state']), 'alice still there');
    });

    if ($onlineUser !== null) {
        check($t . 'sendToUser to the online user is delivered', function () use ($imq, $onlineUser, $transport) {
            expect($imq->sendToUser($onlineUser, ['hello' => $transport]) === 'delivered', 'not delivered');
        });
        check($t . 'removeMember, and again (not a member) is no error', function () use ($imq, $q, $onlineUser) {
            $imq->removeMember($q, $onlineUser);
            $imq->removeMember($q, $onlineUser);
            expect(!in_array($onlineUser, $imq->getQueue($q)['members'], true), 'still a member');
        });
    }

    check($t . 'sendToUser to an offline user: offline, or stored when reliable (idempotent by id)', function () use ($imq) {
        $nobody = 'php-nobody-' . bin2hex(random_bytes(4));
        expect($imq->sendToUser($nobody, 'hi') === 'offline', 'unreliable not offline');
        expect($imq->sendToUser($nobody, 'hi', true, 'order-1', 'php-app') === 'stored', 'reliable not stored');
        expect($imq->sendToUser($nobody, 'hi again', true, 'order-1') === 'stored', 'the repeat not stored');
        expect($imq->isOnline($nobody) === false, 'isOnline true');
    });
    check($t . 'addMember of an offline user is not_found', function () use ($imq, $q) {
        expectError('not_found', 404, fn () => $imq->addMember($q, 'php-nobody'));
    });
    check($t . 'createToken gives a JWT; a lifetime of 0 is invalid', function () use ($imq) {
        expect(substr_count($imq->createToken('php-bob', 60), '.') === 2, 'not a JWT');
        expectError('invalid', 400, fn () => $imq->createToken('php-bob', 0));
    });
    check($t . 'getCluster; drainNode of a single node is invalid, of an unknown node not_found', function () use ($imq) {
        $c = $imq->getCluster();
        expect(count($c['nodes']) === 1 && $c['nodes'][0]['state'] === 'up' && $c['buckets'] === [$c['nodes'][0]['id']], 'cluster ' . json_encode($c));
        expectError('invalid', 400, fn () => $imq->drainNode($c['nodes'][0]['id']));
        expectError('not_found', 404, fn () => $imq->drainNode('no-such-node'));
    });
    check($t . 'errors: not_found with the problem, invalid, forbidden, too_large, unauthorized', function () use ($imq, $baseUrl, $transport) {
        $e = expectError('not_found', 404, fn () => $imq->getQueue('/php-test/missing'));
        expect(str_contains($e->getDetail(), '/php-test/missing') && $e->getProblem()['code'] === 'not_found', 'problem ' . json_encode($e->getProblem()));
        expectError('invalid', 400, fn () => $imq->createQueue('no-leading-slash'));
        expectError('invalid', 400, fn () => $imq->setState('/php-test/missing', 'score', []));
        expectError('forbidden', 403, fn () => $imq->createQueue('/_h/mine'));
        expectError('too_large', 413, fn () => $imq->sendToUser('php-bob', str_repeat('x', 70000)));
        $stranger = new ImqClient($baseUrl, 'not-a-key-of-this-node', ['transport' => $transport]);
        expectError('unauthorized', 401, fn () => $stranger->getCluster());
    });
    check($t . 'a value with no JSON form is invalid before it is sent', function () use ($imq, $q) {
        expectError('invalid', 0, fn () => $imq->send($q, 'chat', NAN));
    });
    check($t . 'deleteQueue, then the queue is not_found', function () use ($imq, $q) {
        $imq->deleteQueue($q);
        expectError('not_found', 404, fn () => $imq->getQueue($q));
        expectError('not_found', 404, fn () => $imq->deleteQueue($q));
    });
    check($t . 'no answer within the timeout is unavailable (status 0)', function () use ($transport) {
        // A listening socket that never accepts: the connection opens, the answer never comes.
        $silent = stream_socket_server('tcp://127.0.0.1:0');
        $address = stream_socket_get_name($silent, false);
        $client = new ImqClient('http://' . $address, 'any-key', ['transport' => $transport, 'timeout' => 0.5, 'connectTimeout' => 0.5]);
        expectError('unavailable', 0, fn () => $client->getCluster());
        fclose($silent);
    });
    check($t . 'a refused connection is unavailable (status 0)', function () use ($transport) {
        $closed = stream_socket_server('tcp://127.0.0.1:0');
        $address = stream_socket_get_name($closed, false);
        fclose($closed);
        $client = new ImqClient('http://' . $address, 'any-key', ['transport' => $transport, 'timeout' => 2]);
        expectError('unavailable', 0, fn () => $client->getCluster());
    });
}

check('the constructor refuses a URL that is not http(s)', function () {
    try {
        new ImqClient('ftp://example', 'key');
    } catch (\InvalidArgumentException) {
        return;
    }
    throw new \RuntimeException('accepted');
});

echo "{$passed} passed, {$failed} failed\n";
exit($failed === 0 ? 0 : 1);
