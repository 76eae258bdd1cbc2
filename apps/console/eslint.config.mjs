// The workspace rules, plus what a Next.js app needs: its generated files are not ours.
import root from '../../eslint.config.mjs';

export default [{ ignores: ['next-env.d.ts', '.next/**', 'test-output/**'] }, ...root];
