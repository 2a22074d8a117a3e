"""keyprojects — 重点项目管理平台."""
