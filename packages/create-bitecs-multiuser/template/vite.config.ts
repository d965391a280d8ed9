import { defineConfig } from 'vite'
import { multiuserCodegen } from '@bitecs-multiuser/codegen'

// The plugin generates src/generated/ from proto/ when Vite starts, and again whenever a .proto changes.
export default defineConfig({
  plugins: [multiuserCodegen({ protoDir: 'proto', outDir: 'src/generated' })],
  server: { host: '127.0.0.1' },
  build: { chunkSizeWarningLimit: 2000 }, // Babylon's engine alone is about 1 MB
})
