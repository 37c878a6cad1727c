// The emulator launcher lives in src/dev so `npm run start:emulated` can use it too.
export * from '../../src/dev/emulators';
