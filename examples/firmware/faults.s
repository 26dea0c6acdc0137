@ Fault test firmware for stm32-opts: ARMv7-M integer Thumb code that faults on purpose, so the
@ simulated chip's fault model and the debugger's fault triage can be tested.
@
@ After reset the program reads the RAM word `fault_select` (not cleared by reset; a debugger
@ writes it first) and runs one case:
@   1  an undefined instruction (UDF) at `fault_udf`
@   2  a load from the unmapped address 0x3000_0000 at `fault_bus` (precise BusFault)
@   3  UDIV by zero at `fault_div`, with CCR.DIV_0_TRP set
@ Adding 0x100 first enables UsageFault and BusFault in SHCSR, so the fault is taken by its own
@ handler; without it the fault escalates to HardFault (HFSR.FORCED). Every handler is a
@ tight loop with its own symbol. Any other value idles in `idle`.
@ Rebuild with `examples/firmware/build.sh`.

    .syntax unified
    .cpu cortex-m7
    .thumb

    .equ SCB_CCR, 0xE000ED14
    .equ SCB_SHCSR, 0xE000ED24
    .equ CCR_DIV_0_TRP, 1 << 4
    .equ SHCSR_FAULTS_ENABLED, (1 << 17) | (1 << 18)  @ BUSFAULTENA | USGFAULTENA
    .equ UNMAPPED, 0x30000000

    .section .vectors, "a", %progbits
    .global vector_table
vector_table:
    .word _stack_top
    .word reset_handler
    .word nmi_handler
    .word hardfault_handler
    .word memmanage_handler
    .word busfault_handler
    .word usagefault_handler
    .rept 9
    .word default_handler
    .endr

    .text
    .thumb_func
    .global reset_handler
    .type reset_handler, %function
reset_handler:
    ldr r0, =fault_select
    ldr r4, [r0]
    tst r4, #0x100
    beq select_case
    ldr r0, =SCB_SHCSR
    ldr r1, [r0]
    ldr r2, =SHCSR_FAULTS_ENABLED
    orrs r1, r1, r2
    str r1, [r0]
select_case:
    and r4, r4, #0xFF
    cmp r4, #1
    beq case_udf
    cmp r4, #2
    beq case_bus
    cmp r4, #3
    beq case_div
    .thumb_func
    .global idle
idle:
    b idle

case_udf:
    .global fault_udf
fault_udf:
    udf #0x42
    b idle

case_bus:
    ldr r1, =UNMAPPED
    .global fault_bus
fault_bus:
    ldr r0, [r1]
    b idle

case_div:
    ldr r0, =SCB_CCR
    ldr r1, [r0]
    orr r1, r1, #CCR_DIV_0_TRP
    str r1, [r0]
    movs r1, #100
    movs r2, #0
    .global fault_div
fault_div:
    udiv r0, r1, r2
    b idle

    .thumb_func
    .global hardfault_handler
    .type hardfault_handler, %function
hardfault_handler:
    b hardfault_handler

    .thumb_func
    .global busfault_handler
    .type busfault_handler, %function
busfault_handler:
    b busfault_handler

    .thumb_func
    .global usagefault_handler
    .type usagefault_handler, %function
usagefault_handler:
    b usagefault_handler

    .thumb_func
    .global memmanage_handler
    .type memmanage_handler, %function
memmanage_handler:
    b memmanage_handler

    .thumb_func
    .global nmi_handler
    .type nmi_handler, %function
nmi_handler:
    b nmi_handler

    .thumb_func
    .global default_handler
    .type default_handler, %function
default_handler:
    b default_handler

    .ltorg

    .bss
    .align 2
    .global fault_select
    .type fault_select, %object
fault_select:
    .word 0
