"""动态管理 pages of the case engine: review tasks (复核任务) and their conclusion, tip-offs and
complaints (举报投诉), and the register of staff's close relatives (近亲属备案), each list
filterable and exportable to Excel. Served under /cases/manage/ (management_urls)."""
