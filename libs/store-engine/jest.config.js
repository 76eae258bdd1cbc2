module.exports = { ...require('../../jest.preset.js'), displayName: 'store-engine', rootDir: __dirname };
