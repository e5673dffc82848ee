{
  "name": "__PACKAGE__",
  "version": "0.1.0",
  "description": "toy8: an interrupt-controller plugin for irqlab",
  "type": "module",
  "private": true,
  "main": "./dist/index.js",
  "types": "./dist/index.d.ts",
  "exports": {
    ".": {
      "types": "./dist/index.d.ts",
      "default": "./dist/index.js"
    }
  },
  "files": [
    "dist",
    "README.md"
  ],
  "scripts": {
    "build": "tsc -b",
    "test": "vitest run"
  },
  "dependencies": {
    "@irqlab/core": "__DEP_CORE__"
  },
  "devDependencies": {
    "@irqlab/routing": "__DEP_ROUTING__",
    "@irqlab/testkit": "__DEP_TESTKIT__"__DEV_TOOLS__
  },
  "irqlabPlugin": {
    "exports": ["default"]
  }
}
