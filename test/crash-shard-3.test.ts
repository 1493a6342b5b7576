import { crashSuite } from './support/crash-suite';

crashSuite(2);
