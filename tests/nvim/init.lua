-- Neovim (0.7+) as a real LSP client for tests/nvim.test.ts: attaches the built-in client to
-- `writ lsp --stdio` for the file given on the command line, waits for the server's diagnostics, writes
-- them as JSON to $WRIT_NVIM_OUT, and quits.
local out = os.getenv('WRIT_NVIM_OUT')
local cmd = { os.getenv('WRIT_NODE') or 'node', os.getenv('WRIT_BIN'), 'lsp', '--stdio' }

local function finish(payload)
  local f = assert(io.open(out, 'w'))
  f:write(vim.fn.json_encode(payload))
  f:close()
  vim.cmd('qa!')
end

function WritRun()
  local buf = vim.api.nvim_get_current_buf()
  local file = vim.api.nvim_buf_get_name(buf)
  local id = vim.lsp.start_client({
    name = 'writ',
    cmd = cmd,
    root_dir = vim.fn.fnamemodify(file, ':h'),
    init_options = { debounceMs = 50, verifyOnSave = false },
  })
  if not id then
    return finish({ error = 'could not start the language server' })
  end
  vim.lsp.buf_attach_client(buf, id)
  local ok = vim.wait(20000, function()
    return #vim.diagnostic.get(buf) > 0
  end, 50)
  local items = {}
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    local code = d.code
    if code == nil and d.user_data and d.user_data.lsp then
      code = d.user_data.lsp.code
    end
    table.insert(items, { lnum = d.lnum, col = d.col, severity = d.severity, message = d.message, source = d.source, code = code })
  end
  local client = vim.lsp.get_client_by_id(id)
  finish({ ok = ok, client = client and client.name or vim.NIL, server = client and client.server_capabilities and client.server_capabilities.hoverProvider or vim.NIL, diagnostics = items })
end

vim.cmd('autocmd VimEnter * lua WritRun()')
