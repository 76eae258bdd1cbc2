module.exports = { ...require('../../jest.preset.js'), displayName: 'store-server', rootDir: __dirname };
