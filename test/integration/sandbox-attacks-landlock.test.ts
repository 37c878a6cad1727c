import { describeSandboxAttacks } from './sandbox-attacks.suite';

describeSandboxAttacks('landlock');
