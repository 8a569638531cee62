<?php
// Sample: what a PHP web app's backend does with IMQ — create a chat room, put a user in it, post to it,
// set its state, and mint the token the user's browser connects with. Uses Imq.ClientSdk/php only.
//
//   php samples/php/create-room.php <baseUrl> <apiKey> [room] [userId]
//   php samples/php/create-room.php http://127.0.0.1:5080 "$(cat Imq.Hubs/imq-data/api-key.txt)" /room/lobby alice

declare(strict_types=1);

require __DIR__ . '/../../Imq.ClientSdk/php/ImqClient.php';

use Imq\ImqClient;
use Imq\ImqException;

if ($argc < 3) {
    fwrite(STDERR, "usage: php create-room.php <baseUrl> <apiKey> [room] [userId]\n");
    exit(2);
}
[, $baseUrl, $apiKey] = $argv;
$room = $argv[3] ?? '/room/lobby';
$userId = $argv[4] ?? null;

$imq = new ImqClient($baseUrl, $apiKey, ['timeout' => 5]);
try {
    // Creating is idempotent: running the sample twice keeps the room as it is.
    $imq->createQueue($room, ['chat' => 'message', 'score' => 'state']);
    echo "room {$room} is ready\n";

    if ($userId !== null) {
        // A user joins by itself with the hub's Join; a server can also add a user who is online.
        if ($imq->isOnline($userId)) {
            $imq->addMember($room, $userId);
            echo "{$userId} is a member\n";
        } else {
            $token = $imq->createToken($userId, 3600);
            echo "{$userId} is offline; it can connect to {$baseUrl}/imq with this token and Join {$room}:\n{$token}\n";
        }
    }

    $seq = $imq->send($room, 'chat', ['text' => 'Welcome to ' . $room], 'php-app');
    echo "posted the welcome message, seq {$seq}\n";

    $version = $imq->setState($room, 'score', ['round' => 1]);
    echo "set the score, version {$version}\n";
} catch (ImqException $e) {
    // $e->getCode() is the stable code: not_found, invalid, conflict, unavailable, ...
    fwrite(STDERR, "IMQ said {$e->getCode()} (HTTP {$e->getStatus()}): {$e->getDetail()}\n");
    exit(1);
}
