import { crashSuite } from './support/crash-suite';

crashSuite(1);
