// Every kind beyond Pod, ConfigMap and Secret registers itself on import: importing this file
// makes them all known to the store, validation and the CLI.
import './replica-set';
import './replication-controller';
import './deployment';
import './job';
import './cron-job';
import './storage';
import './stateful-set';
import './daemon-set';
import './pod-preset';
