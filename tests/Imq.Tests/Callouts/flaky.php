<?php
// Test router for the call-out failure tests: behaves as the file named by IMQ_TEST_MODE_FILE says, read at
// every request: "ok" serves the example (callout.php), "slow" answers it 3 seconds late (past any timeout
// the tests set), "error" answers 500.
declare(strict_types=1);

$mode = trim((string)@file_get_contents(getenv('IMQ_TEST_MODE_FILE')));
if ($mode === 'error') {
    http_response_code(500);
    echo 'the application failed';
    exit;
}
if ($mode === 'slow') {
    sleep(3);
}
require getenv('IMQ_CALLOUT_PHP');
