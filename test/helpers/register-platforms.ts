// Tests see the same configuration as the running bot: every registered platform's variables.
import '../../src/cli/platforms.ts';
