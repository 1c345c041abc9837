import { workerData, parentPort, type MessagePort } from 'node:worker_threads';
import { serveJobs } from './jobs.js';

// The worker of `--jobs`: runs the tasks it claims and posts their results; it never prints.
if (parentPort) serveJobs(parentPort, (workerData as { results: MessagePort }).results);
