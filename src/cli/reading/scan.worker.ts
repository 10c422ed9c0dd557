import { parentPort, workerData } from 'node:worker_threads';
import { scanRange, type RangeRequest } from './needle-scan.js';

// One range of a big file, searched on another core (parallel-scan.ts).
parentPort!.postMessage(scanRange(workerData as RangeRequest));
