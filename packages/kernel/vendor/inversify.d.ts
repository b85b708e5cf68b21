// The types of the bundle vendor/build.mjs makes: those of the installed inversify it is built from.
export * from 'inversify';
