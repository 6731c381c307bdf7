"""python -m services.gateway [--role api|worker|relay|all]"""

from services.cli import run_service_main

run_service_main("gateway")
