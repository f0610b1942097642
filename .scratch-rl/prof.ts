import { batchBenchmark } from '../bench/batch.js';
console.log(JSON.stringify(await batchBenchmark()));
