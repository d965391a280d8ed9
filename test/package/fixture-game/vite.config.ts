import { resolve } from 'node:path'
import { defineConfig } from 'vite'
import { multiuserCodegen } from '@bitecs-multiuser/codegen'

export default defineConfig({
  plugins: [multiuserCodegen({ protoDir: 'proto', outDir: 'src/generated' })],
  build: {
    sourcemap: true,
    rollupOptions: { input: { guest: resolve(import.meta.dirname, 'index.html'), signin: resolve(import.meta.dirname, 'signin.html') } },
  },
})
