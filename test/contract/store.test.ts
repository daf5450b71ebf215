import { createMemoryStore } from '../../src/store/adapters/memory.js';
import { runStoreContract } from './store-contract.js';

runStoreContract('memory', async () => createMemoryStore());
