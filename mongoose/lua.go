package mongoose

// LuaJITEnv names the luajit the Lua binding's tests run (mongoose/lua_test.go),
// for emulated legs; natively they use luajit from PATH.
const LuaJITEnv = "MONGOOSE_FFI_TEST_LUAJIT"
