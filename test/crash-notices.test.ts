/** Crash points after the notice ledger's writes and after every mail (the other groups are in crash.test.ts). */
import { crashGroupSuite, crashPlan } from './support/crash-suite';

crashGroupSuite(await crashPlan(), 'notices');
